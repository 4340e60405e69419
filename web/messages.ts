// The demo's message model: one shape for REST messages, NEW_MESSAGE frames and local sends.
import type { MessagePublic, ServerPayload } from '../src/client';

export type Tick = 'SENDING' | 'SENT' | 'DELIVERED' | 'SEEN';

export interface Media {
  url: string;
  type: 'image' | 'video';
}

export interface ViewMessage {
  id: string;
  tempId: string | null;
  senderId: string;
  senderName: string;
  content: string | null;
  media: Media[];
  status: Tick;
  seq: number;
  createdAt: string;
  edited: boolean;
  deleted: boolean;
  replyTo: string | null;
  /** Per emoji, with whether this user is among those who reacted (absent: none yet). */
  reactions?: Reaction[];
  /** Users it mentions (PROTOCOL §5.11). */
  mentions: string[];
  /** Pinned in its conversation (§5.13): set from the pins list and the pin frames. */
  pinned: boolean;
  /** A send of mine the server refused (a block, say): shown, but never stored. */
  failed?: boolean;
}

export interface Reaction {
  emoji: string;
  count: number;
  me: boolean;
}

/** A live MESSAGE_REACTIONS carries no `me`: keep ours, and move it for our own change. */
export function mergeReactions(
  held: readonly Reaction[],
  counts: readonly { emoji: string; count: number }[],
  change: { mine: boolean; emoji: string; added: boolean },
): Reaction[] {
  const before = new Map(held.map((r) => [r.emoji, r.me]));
  return counts.map(({ emoji, count }) => ({
    emoji,
    count,
    me: change.mine && emoji === change.emoji ? change.added : (before.get(emoji) ?? false),
  }));
}

export const fromRest = (m: MessagePublic): ViewMessage => ({
  id: m.id,
  tempId: m.temp_id,
  senderId: m.sender_id,
  senderName: m.sender_username ?? 'someone',
  content: m.content,
  media: m.media.map((x) => ({ url: x.url, type: x.type })),
  status: m.status,
  seq: m.seq,
  createdAt: m.created_at,
  edited: m.updated_at !== null,
  deleted: m.deleted_at !== null,
  replyTo: m.reply_to_message_id,
  reactions: m.reactions,
  mentions: m.mentions,
  pinned: false,
});

export const fromFrame = (m: ServerPayload<'NEW_MESSAGE'>): ViewMessage => ({
  id: m.messageId,
  tempId: m.tempId,
  senderId: m.senderId,
  senderName: m.senderUsername ?? 'someone',
  content: m.content,
  media: m.media.map((x) => ({ url: x.url, type: x.type })),
  status: m.status,
  seq: m.seq,
  createdAt: m.createdAt,
  edited: m.updatedAt !== null,
  deleted: m.deletedAt !== null,
  replyTo: m.replyToMessageId,
  reactions: (m.reactions ?? []).map((r) => ({
    emoji: r.emoji,
    count: r.count,
    me: r.me,
  })),
  mentions: m.mentions,
  pinned: false,
});

const RANK: Record<Tick, number> = { SENDING: 0, SENT: 1, DELIVERED: 2, SEEN: 3 };

/** Receipts only move forward: a late DELIVERED never undoes a SEEN. */
export const laterTick = (a: Tick, b: Tick): Tick => (RANK[b] > RANK[a] ? b : a);

/** Attachment type guessed from the URL: common video extensions are videos, the rest images. */
export const mediaFromUrl = (url: string): Media => ({
  url,
  type: /\.(mp4|webm|mov|m4v|ogv)(\?|#|$)/i.test(url) ? 'video' : 'image',
});
