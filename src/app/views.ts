// Presenters: domain records → wire shapes (snake_case, ISO dates, deleted content hidden).
import type { Message, MessageStatus, User } from '../domain/types';
import type { ServerPayload } from '../protocol/frames';
import type {
  MediaItemPublic,
  MessagePublic,
  ReactionCountPublic,
  UserPublic,
} from '../protocol/rest';

// A message's times are turned into text several times on its way (its event, the sender's
// answer, each copy), and Date#toISOString is a slow runtime call: recent results are kept in
// a small table indexed by the millisecond, so a repeat costs a lookup.
const ISO_SLOTS = 256;
const isoTimes = new Float64Array(ISO_SLOTS).fill(Number.NaN);
const isoTexts: string[] = new Array<string>(ISO_SLOTS).fill('');

/** A time as ISO 8601 text (UTC, milliseconds), as `toISOString` gives it. */
export function iso(d: Date): string {
  const t = d.getTime();
  const slot = t & (ISO_SLOTS - 1);
  if (isoTimes[slot] === t) return isoTexts[slot] as string;
  // Throws for an invalid date, as toISOString does; NaN never matches a slot.
  const text = d.toISOString();
  isoTimes[slot] = t;
  isoTexts[slot] = text;
  return text;
}

export const isoOrNull = (d: Date | null): string | null => (d === null ? null : iso(d));

export const toUserPublic = (u: User): UserPublic => ({
  id: u.id,
  username: u.username,
  avatar_url: u.avatarUrl,
});

const toMediaPublic = (m: Message['media'][number]): MediaItemPublic => ({
  url: m.url,
  type: m.type,
  ...(m.thumbnailUrl !== undefined && { thumbnail_url: m.thumbnailUrl }),
  ...(m.width !== undefined && { width: m.width }),
  ...(m.height !== undefined && { height: m.height }),
  ...(m.duration !== undefined && { duration: m.duration }),
});

/** A message as every read shows it: a deleted message keeps its place but not its content. */
export function toMessagePublic(
  m: Message,
  sender: Pick<User, 'username' | 'avatarUrl'> | undefined,
  status: MessageStatus,
  reactions: ReactionCountPublic[] = [],
): MessagePublic {
  const deleted = m.deletedAt !== null;
  return {
    id: m.id,
    conversation_id: m.conversationId,
    sender_id: m.senderId,
    sender_username: sender?.username ?? null,
    sender_avatar: sender?.avatarUrl ?? null,
    content: deleted ? null : m.content,
    type: m.type,
    media: deleted ? [] : m.media.map(toMediaPublic),
    status,
    seq: m.seq,
    reply_to_message_id: m.replyToMessageId,
    temp_id: m.tempId,
    created_at: iso(m.createdAt),
    updated_at: isoOrNull(m.updatedAt),
    deleted_at: isoOrNull(m.deletedAt),
    mentions: deleted ? [] : m.mentions,
    reactions: deleted ? [] : reactions,
  };
}

/** The realtime shape of a message (NEW_MESSAGE of docs/PROTOCOL.md §6.4, camelCase). */
export const toMessageFrame = (m: MessagePublic): ServerPayload<'NEW_MESSAGE'> => ({
  conversationId: m.conversation_id,
  messageId: m.id,
  senderId: m.sender_id,
  senderUsername: m.sender_username,
  senderAvatar: m.sender_avatar,
  content: m.content,
  messageType: m.type,
  media: m.media,
  status: m.status,
  seq: m.seq,
  createdAt: m.created_at,
  replyToMessageId: m.reply_to_message_id,
  tempId: m.temp_id,
  updatedAt: m.updated_at,
  deletedAt: m.deleted_at,
  mentions: m.mentions,
  reactions: m.reactions,
});
