// Plain domain records shared by the services and every store; camelCase, no framework types.

export type ConversationType = 'DIRECT' | 'GROUP';
export type ParticipantRole = 'ADMIN' | 'MEMBER';
export type MessageType = 'TEXT' | 'IMAGE' | 'VIDEO' | 'MIXED';
export type MessageStatus = 'SENT' | 'DELIVERED' | 'SEEN';
export type MediaKind = 'image' | 'video';

export interface MediaItem {
  url: string;
  type: MediaKind;
  thumbnailUrl?: string;
  width?: number;
  height?: number;
  duration?: number;
}

export interface User {
  id: string;
  username: string;
  avatarUrl: string | null;
  /** null for users provisioned by an external platform (they never log in here). */
  passwordHash: string | null;
  createdAt: Date;
  lastActiveAt: Date | null;
}

export interface Conversation {
  id: string;
  type: ConversationType;
  name: string | null;
  avatarUrl: string | null;
  createdBy: string | null;
  createdAt: Date;
  /** Last activity: creation or the newest message. Orders the conversation list. */
  updatedAt: Date;
  lastMessageId: string | null;
  lastMessageContent: string | null;
  lastMessageAt: Date | null;
  /** Highest message seq handed out (0: none yet). Seqs are allocated atomically from it. */
  lastSeq: number;
  /**
   * Highest seq live delivery has emitted (moves forward only): a node that takes the
   * conversation's partition over resumes after it instead of re-emitting older messages.
   */
  emittedSeq: number;
}

/** A position in a conversation's message order: messages sort by `seq`. */
export interface Watermark {
  messageId: string;
  seq: number;
}

export interface Participant {
  conversationId: string;
  userId: string;
  role: ParticipantRole;
  joinedAt: Date;
  leftAt: Date | null;
  /** The conversation's lastSeq when this user (re-)joined: their history starts after it in SYNC. */
  joinedSeq: number;
  /** Newest message this user has seen; moves forward only. */
  seen: Watermark | null;
  /** Newest message one of this user's devices confirmed; moves forward only. */
  delivered: Watermark | null;
  /** When either watermark last moved (feeds the receipts part of SYNC). */
  receiptsAt: Date | null;
  /** The user muted the conversation (it still counts unread); see domain/mute.ts. */
  muted: boolean;
  /** Until when a mute lasts (null: until undone); always null when not muted. */
  mutedUntil: Date | null;
  /** When the mute was last set or undone (feeds the mute part of SYNC). */
  muteChangedAt: Date | null;
  /**
   * A DIRECT's record while either of its pair blocks the other (see domain/blocking.ts): the
   * send path's membership check refuses it. Set on both records of the pair; absent: not blocked.
   */
  blocked?: boolean;
}

export interface Message {
  id: string;
  conversationId: string;
  /** Position in the conversation, strictly increasing in stored order (gaps only from crashes). */
  seq: number;
  senderId: string;
  content: string | null;
  type: MessageType;
  media: MediaItem[];
  replyToMessageId: string | null;
  /** Client-chosen idempotency key, scoped to the sender. */
  tempId: string | null;
  /** Fingerprint of the body sent with `tempId`: a retry with another body is a conflict. */
  bodyHash: string | null;
  createdAt: Date;
  updatedAt: Date | null;
  deletedAt: Date | null;
  /** Last time anything about the message changed (creation, edit, deletion); feeds SYNC. */
  changedAt: Date;
  /**
   * The realtime socket that sent it (null: REST or unknown): live delivery never echoes a
   * message to the socket that sent it, whichever event or read brings it to the fan-out.
   */
  originSocketId: string | null;
  /**
   * Who it mentions: current participants (never the sender) named by `@username` or an explicit
   * id when it was written or last edited (docs/PROTOCOL.md §5.11).
   */
  mentions: string[];
}

/** One user blocking another; `id` is derived from the ordered pair (blockId). */
export interface Block {
  id: string;
  blockerId: string;
  blockedId: string;
  blockedAt: Date;
}

/**
 * One user's reaction with one emoji to one message; its id is derived from that key
 * (domain/ids.ts reactionId). Removing it leaves a tombstone (`removedAt`) so SYNC sees the removal.
 */
export interface Reaction {
  id: string;
  messageId: string;
  conversationId: string;
  /** The message's seq (frames name it, and SYNC need not read the message). */
  messageSeq: number;
  userId: string;
  emoji: string;
  /** When it was (last) added. */
  createdAt: Date;
  /** When it was last added or removed (feeds the reactions part of SYNC). */
  changedAt: Date;
  removedAt: Date | null;
}
