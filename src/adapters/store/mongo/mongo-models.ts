// MongoStore's collections: document shapes (snake_case, ObjectId ids) and schemas with their indexes.
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type {
  ConversationType,
  MediaKind,
  MessageType,
  ParticipantRole,
} from '../../../domain/types';

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
  /** Highest seq reserved; `$inc`ed by every send (the seq allocator). Absent: none yet. */
  last_seq?: number;
  /** Highest seq live delivery emitted ($max). Absent: none yet. */
  emitted_seq?: number;
}

/** Watermarks are flat fields so one conditional updateOne can compare and move them. */
export interface ParticipantDoc {
  _id: Types.ObjectId;
  conversation_id: Types.ObjectId;
  user_id: Types.ObjectId;
  role: ParticipantRole;
  joined_at: Date;
  left_at: Date | null;
  joined_seq?: number;
  seen_message_id: Types.ObjectId | null;
  seen_seq: number | null;
  delivered_message_id: Types.ObjectId | null;
  delivered_seq: number | null;
  receipts_at: Date | null;
  /** Set while the DIRECT's pair has a block (BlockStore.setConversationBlocked); absent: none. */
  blocked?: boolean;
  /** Absent on records written before mutes existed: not muted. */
  muted?: boolean;
  muted_until?: Date | null;
  mute_changed_at?: Date | null;
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
  seq: number;
  sender_id: Types.ObjectId;
  content: string | null;
  type: MessageType;
  media: MediaDoc[];
  reply_to_message_id: Types.ObjectId | null;
  temp_id: string | null;
  origin_socket_id?: string | null;
  /** The users it mentions (absent on messages stored before mentions existed). */
  mentions?: Types.ObjectId[];
  body_hash: string | null;
  created_at: Date;
  updated_at: Date | null;
  deleted_at: Date | null;
  changed_at: Date;
  /** Present (true) only while the `message.sent` event awaits the broker; absent afterwards. */
  event_pending?: true;
  /** Until when an outbox relay holds the right to republish the pending event. */
  event_claimed_until?: Date | null;
}

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
    last_seq: { type: Number, default: 0 },
    emitted_seq: { type: Number, default: 0 },
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
    joined_seq: { type: Number, default: 0 },
    seen_message_id: nullable(OBJECT_ID),
    seen_seq: nullable(Number),
    delivered_message_id: nullable(OBJECT_ID),
    delivered_seq: nullable(Number),
    receipts_at: nullable(Date),
    muted: { type: Boolean, default: false },
    muted_until: nullable(Date),
    mute_changed_at: nullable(Date),
    blocked: { type: Boolean, default: undefined },
  },
  OPTIONS,
);
participantSchema.index({ user_id: 1, left_at: 1 });
participantSchema.index({ conversation_id: 1, receipts_at: 1 });
participantSchema.index({ conversation_id: 1, user_id: 1 });
participantSchema.index({ conversation_id: 1, joined_at: 1 });
participantSchema.index({ conversation_id: 1, left_at: 1 });
// listMuteChangesSince: the user's own records by when their mute last changed.
participantSchema.index({ user_id: 1, mute_changed_at: 1 });

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
    seq: { type: Number, required: true },
    sender_id: { type: OBJECT_ID, required: true },
    content: nullable(String),
    type: { type: String, enum: ['TEXT', 'IMAGE', 'VIDEO', 'MIXED'], required: true },
    media: { type: [mediaSchema], default: [] },
    reply_to_message_id: nullable(OBJECT_ID),
    temp_id: nullable(String),
    origin_socket_id: nullable(String),
    mentions: { type: [OBJECT_ID], default: undefined },
    body_hash: nullable(String),
    created_at: { type: Date, required: true },
    updated_at: nullable(Date),
    deleted_at: nullable(Date),
    changed_at: { type: Date, required: true },
    event_pending: { type: Boolean },
    event_claimed_until: { type: Date, default: undefined },
  },
  OPTIONS,
);
// Pages, unread counts, SYNC and fan-out gap fills all walk one conversation by seq.
messageSchema.index({ conversation_id: 1, seq: 1 });
messageSchema.index({ conversation_id: 1, changed_at: 1, _id: 1 });
// countMentionsAfter: multikey, one entry per mentioned user, so unread mentions count by seq.
messageSchema.index({ conversation_id: 1, mentions: 1, seq: 1 });
// Partial: only the few messages whose event is still pending are indexed; _id makes the outbox order fully indexed.
messageSchema.index(
  { event_pending: 1, created_at: 1, _id: 1 },
  { partialFilterExpression: { event_pending: true } },
);
// searchMessages: the collection's one text index. Language "none": words are lowercased and
// neither stemmed nor dropped as stop words, so any language works and terms match whole words.
messageSchema.index(
  { content: 'text' },
  { name: 'messages_content_text', default_language: 'none' },
);

/** A SYNC cursor; MongoDB's TTL monitor removes it once `expires_at` passes. */
export interface SyncCursorDoc {
  _id: Types.ObjectId;
  user_id: Types.ObjectId;
  /** conversation id (hex) → seq */
  positions: Record<string, number>;
  changes_since: Date;
  created_at: Date;
  expires_at: Date;
}

const syncCursorSchema = new Schema<SyncCursorDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    user_id: { type: OBJECT_ID, required: true },
    positions: { type: Schema.Types.Mixed, required: true },
    changes_since: { type: Date, required: true },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, required: true },
  },
  { ...OPTIONS, minimize: false },
);
syncCursorSchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });

/** One user blocking another; `_id` derived from the ordered pair (blockId). */
export interface BlockDoc {
  _id: Types.ObjectId;
  blocker_id: Types.ObjectId;
  blocked_id: Types.ObjectId;
  blocked_at: Date;
}

const blockSchema = new Schema<BlockDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    blocker_id: { type: OBJECT_ID, required: true },
    blocked_id: { type: OBJECT_ID, required: true },
    blocked_at: { type: Date, required: true },
  },
  OPTIONS,
);
// listBlocksByBlocker: the caller's blocks newest first, a (blocked_at, _id) keyset.
blockSchema.index({ blocker_id: 1, blocked_at: -1, _id: -1 });
// listBlockerIds: who blocks a user (their search leaves those out).
blockSchema.index({ blocked_id: 1 });

export interface MongoModels {
  users: Model<UserDoc>;
  conversations: Model<ConversationDoc>;
  participants: Model<ParticipantDoc>;
  messages: Model<MessageDoc>;
  syncCursors: Model<SyncCursorDoc>;
  blocks: Model<BlockDoc>;
}

/** Models bound to one connection (never the global mongoose), with the collection names of docs/PROTOCOL.md §10. */
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
    syncCursors: connection.model<SyncCursorDoc>('SyncCursor', syncCursorSchema, 'sync_cursors'),
    blocks: connection.model<BlockDoc>('Block', blockSchema, 'blocks'),
  };
}
