// Doc↔domain mapping for MongoStore: ObjectId ↔ hex ids, snake_case ↔ camelCase, absent ↔ null.
import { Types } from 'mongoose';
import { isObjectId } from '../../../domain/ids';
import type {
  Conversation,
  MediaItem,
  Message,
  Participant,
  User,
  Watermark,
} from '../../../domain/types';
import type {
  ConversationDoc,
  MediaDoc,
  MessageDoc,
  ParticipantDoc,
  UserDoc,
} from './mongo-models';

/**
 * Domain ids are 24 lowercase hex; anything else is a caller bug. Checked here because
 * `new ObjectId()` would also accept a 12-character string and silently mint a different id.
 */
export function toObjectId(id: string): Types.ObjectId {
  if (!isObjectId(id))
    throw new TypeError(`MongoStore: not an ObjectId hex string: ${JSON.stringify(id)}`);
  return new Types.ObjectId(id);
}

const toObjectIdOrNull = (id: string | null): Types.ObjectId | null =>
  id === null ? null : toObjectId(id);
const hexOrNull = (id: Types.ObjectId | null | undefined): string | null =>
  id ? id.toHexString() : null;

export const userToDoc = (u: User): UserDoc => ({
  _id: toObjectId(u.id),
  username: u.username,
  username_lower: u.username.toLowerCase(),
  avatar_url: u.avatarUrl,
  password_hash: u.passwordHash,
  created_at: u.createdAt,
  last_active_at: u.lastActiveAt,
});

export const userFromDoc = (d: UserDoc): User => ({
  id: d._id.toHexString(),
  username: d.username,
  avatarUrl: d.avatar_url ?? null,
  passwordHash: d.password_hash ?? null,
  createdAt: d.created_at,
  lastActiveAt: d.last_active_at ?? null,
});

export const conversationToDoc = (c: Conversation): ConversationDoc => ({
  _id: toObjectId(c.id),
  type: c.type,
  name: c.name,
  avatar_url: c.avatarUrl,
  created_by: toObjectIdOrNull(c.createdBy),
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  last_message_id: toObjectIdOrNull(c.lastMessageId),
  last_message_content: c.lastMessageContent,
  last_message_at: c.lastMessageAt,
  last_seq: c.lastSeq,
  emitted_seq: c.emittedSeq,
});

export const conversationFromDoc = (d: ConversationDoc): Conversation => ({
  id: d._id.toHexString(),
  type: d.type,
  name: d.name ?? null,
  avatarUrl: d.avatar_url ?? null,
  createdBy: hexOrNull(d.created_by),
  createdAt: d.created_at,
  updatedAt: d.updated_at,
  lastMessageId: hexOrNull(d.last_message_id),
  lastMessageContent: d.last_message_content ?? null,
  lastMessageAt: d.last_message_at ?? null,
  lastSeq: d.last_seq ?? 0,
  emittedSeq: d.emitted_seq ?? 0,
});

/** Every field but _id, conversation_id and user_id: what a (re-)join writes. */
export const participantStateToDoc = (p: Participant) => ({
  role: p.role,
  joined_at: p.joinedAt,
  left_at: p.leftAt,
  joined_seq: p.joinedSeq,
  seen_message_id: toObjectIdOrNull(p.seen?.messageId ?? null),
  seen_seq: p.seen?.seq ?? null,
  delivered_message_id: toObjectIdOrNull(p.delivered?.messageId ?? null),
  delivered_seq: p.delivered?.seq ?? null,
  receipts_at: p.receiptsAt,
  muted: p.muted,
  muted_until: p.mutedUntil,
  mute_changed_at: p.muteChangedAt,
});

const watermarkFromDoc = (
  id: Types.ObjectId | null | undefined,
  seq: number | null | undefined,
): Watermark | null =>
  id && typeof seq === 'number' ? { messageId: id.toHexString(), seq } : null;

export const participantFromDoc = (d: ParticipantDoc): Participant => ({
  conversationId: d.conversation_id.toHexString(),
  userId: d.user_id.toHexString(),
  role: d.role,
  joinedAt: d.joined_at,
  leftAt: d.left_at ?? null,
  joinedSeq: d.joined_seq ?? 0,
  seen: watermarkFromDoc(d.seen_message_id, d.seen_seq),
  delivered: watermarkFromDoc(d.delivered_message_id, d.delivered_seq),
  receiptsAt: d.receipts_at ?? null,
  muted: d.muted ?? false,
  mutedUntil: d.muted_until ?? null,
  muteChangedAt: d.mute_changed_at ?? null,
  ...(d.blocked === true && { blocked: true }),
});

/** Optional media fields are written only when set, so they read back absent, not null. */
export const mediaToDoc = (media: readonly MediaItem[]): MediaDoc[] =>
  media.map((m) => ({
    url: m.url,
    type: m.type,
    ...(m.thumbnailUrl !== undefined && { thumbnail_url: m.thumbnailUrl }),
    ...(m.width !== undefined && { width: m.width }),
    ...(m.height !== undefined && { height: m.height }),
    ...(m.duration !== undefined && { duration: m.duration }),
  }));

const mediaFromDoc = (media: readonly MediaDoc[] | undefined): MediaItem[] =>
  (media ?? []).map((m) => ({
    url: m.url,
    type: m.type,
    ...(m.thumbnail_url != null && { thumbnailUrl: m.thumbnail_url }),
    ...(m.width != null && { width: m.width }),
    ...(m.height != null && { height: m.height }),
    ...(m.duration != null && { duration: m.duration }),
  }));

export const messageToDoc = (m: Message): MessageDoc => ({
  _id: toObjectId(m.id),
  conversation_id: toObjectId(m.conversationId),
  seq: m.seq,
  sender_id: toObjectId(m.senderId),
  content: m.content,
  type: m.type,
  media: mediaToDoc(m.media),
  reply_to_message_id: toObjectIdOrNull(m.replyToMessageId),
  temp_id: m.tempId,
  body_hash: m.bodyHash,
  created_at: m.createdAt,
  updated_at: m.updatedAt,
  deleted_at: m.deletedAt,
  changed_at: m.changedAt,
  origin_socket_id: m.originSocketId,
  ...(m.mentions.length > 0 && { mentions: m.mentions.map(toObjectId) }),
  event_pending: true,
});

export const messageFromDoc = (d: MessageDoc): Message => ({
  id: d._id.toHexString(),
  conversationId: d.conversation_id.toHexString(),
  seq: d.seq,
  senderId: d.sender_id.toHexString(),
  content: d.content ?? null,
  type: d.type,
  media: mediaFromDoc(d.media),
  replyToMessageId: hexOrNull(d.reply_to_message_id),
  tempId: d.temp_id ?? null,
  bodyHash: d.body_hash ?? null,
  createdAt: d.created_at,
  updatedAt: d.updated_at ?? null,
  deletedAt: d.deleted_at ?? null,
  changedAt: d.changed_at,
  originSocketId: d.origin_socket_id ?? null,
  mentions: (d.mentions ?? []).map((id) => id.toHexString()),
});
