// Pins: a conversation's pinned messages. One record per (conversation, message), kept as a
// tombstone once unpinned so SYNC can report the unpin; its id is derived from the key.
import { deriveObjectId } from './ids';

/** At most this many messages are pinned in one conversation at a time (a full list is 409). */
export const MAX_PINS_PER_CONVERSATION = 50;

export interface Pin {
  id: string;
  conversationId: string;
  messageId: string;
  /** Who pinned it last. */
  pinnedBy: string;
  pinnedAt: Date;
  /** Null while pinned; when it was unpinned (the record then is a tombstone). */
  unpinnedAt: Date | null;
  /** Who unpinned it (null while pinned). */
  unpinnedBy: string | null;
  /** When it was last pinned or unpinned (feeds the pins part of SYNC). */
  changedAt: Date;
}

/** One pin record per message of a conversation, so a repeated pin collides on `_id`. */
export const pinId = (conversationId: string, messageId: string): string =>
  deriveObjectId('pin', conversationId, messageId);
