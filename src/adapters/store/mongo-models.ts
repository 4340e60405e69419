// MongoStore's collections: document shapes (snake_case, ObjectId ids), schemas with their indexes, and doc↔domain mapping.
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { isObjectId } from '../../domain/ids';
import type {
  Conversation,
  ConversationType,
  MediaItem,
  MediaKind,
  Message,
  MessageType,
  Participant,
  ParticipantRole,
  User,
  Watermark,
} from '../../domain/types';

export interface UserDoc {
  _id: Types.ObjectId;
  username: string;
  /** Search key: searchUsers matches a lowercased needle against it. */
  username_lower: string;
  avatar_url: string | null;
  password_hash: string | null;
  created_at: Date;
  last_active_at: Date | null;
}

export interface ConversationDoc {
  _id: Types.ObjectId;
  type: ConversationType;
  name: string | null;
  avatar_url: string | null;
  created_by: Types.ObjectId | null;
  created_at: Date;
  updated_at: Date;
  last_message_id: Types.ObjectId | null;
  last_message_content: string | null;
  last_message_at: Date | null;
}

/** Watermarks are flat fields so one conditional updateOne can compare and move them. */
export interface ParticipantDoc {
  _id: Types.ObjectId;
  conversation_id: Types.ObjectId;
  user_id: Types.ObjectId;
  role: ParticipantRole;
  joined_at: Date;
  left_at: Date | null;
  seen_message_id: Types.ObjectId | null;
  seen_at: Date | null;
  delivered_message_id: Types.ObjectId | null;
  delivered_at: Date | null;
}

export interface MediaDoc {
  url: string;
  type: MediaKind;
  thumbnail_url?: string;
  width?: number;
  height?: number;
  duration?: number;
}

export interface MessageDoc {
  _id: Types.ObjectId;
  conversation_id: Types.ObjectId;
  sender_id: Types.ObjectId;
  content: string | null;
  type: MessageType;
  media: MediaDoc[];
  reply_to_message_id: Types.ObjectId | null;
  temp_id: string | null;
  created_at: Date;
  updated_at: Date | null;
  deleted_at: Date | null;
  changed_at: Date;
  /** Present (true) only while the `message.sent` event awaits the broker; absent afterwards. */
  event_pending?: true;
}

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

const OBJECT_ID = Schema.Types.ObjectId;
/** versionKey off: documents are only changed by targeted conditional updates, never save(). */
const OPTIONS = { versionKey: false, autoIndex: false, autoCreate: false } as const;
const nullable = <T>(type: T) => ({ type, default: null });

const userSchema = new Schema<UserDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    username: { type: String, required: true },
    username_lower: { type: String, required: true },
    avatar_url: nullable(String),
    password_hash: nullable(String),
    created_at: { type: Date, required: true },
    last_active_at: nullable(Date),
  },
  OPTIONS,
);
// Not unique: the _id (derived from the lowercased username) is what makes usernames unique.
userSchema.index({ username_lower: 1 });

const conversationSchema = new Schema<ConversationDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    type: { type: String, enum: ['DIRECT', 'GROUP'], required: true },
    name: nullable(String),
    avatar_url: nullable(String),
    created_by: nullable(OBJECT_ID),
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
    last_message_id: nullable(OBJECT_ID),
    last_message_content: nullable(String),
    last_message_at: nullable(Date),
  },
  OPTIONS,
);
conversationSchema.index({ updated_at: -1, _id: -1 });
conversationSchema.index({ created_at: 1 });

const participantSchema = new Schema<ParticipantDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    conversation_id: { type: OBJECT_ID, required: true },
    user_id: { type: OBJECT_ID, required: true },
    role: { type: String, enum: ['ADMIN', 'MEMBER'], required: true },
    joined_at: { type: Date, required: true },
    left_at: nullable(Date),
    seen_message_id: nullable(OBJECT_ID),
    seen_at: nullable(Date),
    delivered_message_id: nullable(OBJECT_ID),
    delivered_at: nullable(Date),
  },
  OPTIONS,
);
participantSchema.index({ user_id: 1, left_at: 1 });
participantSchema.index({ conversation_id: 1, user_id: 1 });
participantSchema.index({ conversation_id: 1, joined_at: 1 });

const mediaSchema = new Schema<MediaDoc>(
  {
    url: { type: String, required: true },
    type: { type: String, enum: ['image', 'video'], required: true },
    thumbnail_url: String,
    width: Number,
    height: Number,
    duration: Number,
  },
  { _id: false },
);

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    conversation_id: { type: OBJECT_ID, required: true },
    sender_id: { type: OBJECT_ID, required: true },
    content: nullable(String),
    type: { type: String, enum: ['TEXT', 'IMAGE', 'VIDEO', 'MIXED'], required: true },
    media: { type: [mediaSchema], default: [] },
    reply_to_message_id: nullable(OBJECT_ID),
    temp_id: nullable(String),
    created_at: { type: Date, required: true },
    updated_at: nullable(Date),
    deleted_at: nullable(Date),
    changed_at: { type: Date, required: true },
    event_pending: { type: Boolean },
  },
  OPTIONS,
);
messageSchema.index({ conversation_id: 1, created_at: -1, _id: -1 });
messageSchema.index({ conversation_id: 1, sender_id: 1, created_at: 1 });
messageSchema.index({ conversation_id: 1, changed_at: 1, _id: 1 });
// Partial: only the few messages whose event is still pending are indexed; _id makes the outbox order fully indexed.
messageSchema.index(
  { event_pending: 1, created_at: 1, _id: 1 },
  { partialFilterExpression: { event_pending: true } },
);

export interface MongoModels {
  users: Model<UserDoc>;
  conversations: Model<ConversationDoc>;
  participants: Model<ParticipantDoc>;
  messages: Model<MessageDoc>;
}

/** Models bound to one connection (never the global mongoose), with the design's collection names. */
export function createModels(connection: Connection): MongoModels {
  return {
    users: connection.model<UserDoc>('User', userSchema, 'users'),
    conversations: connection.model<ConversationDoc>(
      'Conversation',
      conversationSchema,
      'conversations',
    ),
    participants: connection.model<ParticipantDoc>(
      'Participant',
      participantSchema,
      'conversation_participants',
    ),
    messages: connection.model<MessageDoc>('Message', messageSchema, 'messages'),
  };
}

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
});

/** Every field but _id, conversation_id and user_id: what a (re-)join writes. */
export const participantStateToDoc = (p: Participant) => ({
  role: p.role,
  joined_at: p.joinedAt,
  left_at: p.leftAt,
  seen_message_id: toObjectIdOrNull(p.seen?.messageId ?? null),
  seen_at: p.seen?.createdAt ?? null,
  delivered_message_id: toObjectIdOrNull(p.delivered?.messageId ?? null),
  delivered_at: p.delivered?.createdAt ?? null,
});

const watermarkFromDoc = (
  id: Types.ObjectId | null | undefined,
  at: Date | null | undefined,
): Watermark | null => (id && at ? { messageId: id.toHexString(), createdAt: at } : null);

export const participantFromDoc = (d: ParticipantDoc): Participant => ({
  conversationId: d.conversation_id.toHexString(),
  userId: d.user_id.toHexString(),
  role: d.role,
  joinedAt: d.joined_at,
  leftAt: d.left_at ?? null,
  seen: watermarkFromDoc(d.seen_message_id, d.seen_at),
  delivered: watermarkFromDoc(d.delivered_message_id, d.delivered_at),
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
  sender_id: toObjectId(m.senderId),
  content: m.content,
  type: m.type,
  media: mediaToDoc(m.media),
  reply_to_message_id: toObjectIdOrNull(m.replyToMessageId),
  temp_id: m.tempId,
  created_at: m.createdAt,
  updated_at: m.updatedAt,
  deleted_at: m.deletedAt,
  changed_at: m.changedAt,
  event_pending: true,
});

export const messageFromDoc = (d: MessageDoc): Message => ({
  id: d._id.toHexString(),
  conversationId: d.conversation_id.toHexString(),
  senderId: d.sender_id.toHexString(),
  content: d.content ?? null,
  type: d.type,
  media: mediaFromDoc(d.media),
  replyToMessageId: hexOrNull(d.reply_to_message_id),
  tempId: d.temp_id ?? null,
  createdAt: d.created_at,
  updatedAt: d.updated_at ?? null,
  deletedAt: d.deleted_at ?? null,
  changedAt: d.changed_at,
});
