// Row↔domain mapping for PostgresStore: snake_case columns ↔ camelCase records, bigint (read back
// as strings by pg) ↔ number, jsonb ↔ media and positions. Also the column lists each table is
// read with, so every query of one table returns the same row shape.
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
} from '../../../domain/types';
import type { SyncCursorRecord } from '../../../ports';

/** pg returns bigint (int8) as a string so no precision is lost; seqs and counts fit a double. */
type Int8 = string;

/** `alias.column, …` for a table read under an alias (joins), or plain columns without one. */
export const columns = (names: readonly string[], alias?: string): string =>
  names.map((n) => (alias ? `${alias}.${n}` : n)).join(', ');

export const USER_COLUMNS = [
  'id',
  'username',
  'avatar_url',
  'password_hash',
  'created_at',
  'last_active_at',
] as const;

export interface UserRow {
  id: string;
  username: string;
  avatar_url: string | null;
  password_hash: string | null;
  created_at: Date;
  last_active_at: Date | null;
}

export const userFromRow = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  avatarUrl: r.avatar_url,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  lastActiveAt: r.last_active_at,
});

export const CONVERSATION_COLUMNS = [
  'id',
  'type',
  'name',
  'avatar_url',
  'created_by',
  'created_at',
  'updated_at',
  'last_message_id',
  'last_message_content',
  'last_message_at',
  'last_seq',
  'emitted_seq',
] as const;

export interface ConversationRow {
  id: string;
  type: ConversationType;
  name: string | null;
  avatar_url: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  last_message_id: string | null;
  last_message_content: string | null;
  last_message_at: Date | null;
  last_seq: Int8;
  emitted_seq: Int8;
}

export const conversationFromRow = (r: ConversationRow): Conversation => ({
  id: r.id,
  type: r.type,
  name: r.name,
  avatarUrl: r.avatar_url,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastMessageId: r.last_message_id,
  lastMessageContent: r.last_message_content,
  lastMessageAt: r.last_message_at,
  lastSeq: Number(r.last_seq),
  emittedSeq: Number(r.emitted_seq),
});

/** The insert parameters of a conversation, in CONVERSATION_COLUMNS order. */
export const conversationParams = (c: Conversation): unknown[] => [
  c.id,
  c.type,
  c.name,
  c.avatarUrl,
  c.createdBy,
  c.createdAt,
  c.updatedAt,
  c.lastMessageId,
  c.lastMessageContent,
  c.lastMessageAt,
  c.lastSeq,
  c.emittedSeq,
];

export const PARTICIPANT_COLUMNS = [
  'conversation_id',
  'user_id',
  'role',
  'joined_at',
  'left_at',
  'joined_seq',
  'seen_message_id',
  'seen_seq',
  'delivered_message_id',
  'delivered_seq',
  'receipts_at',
  'muted',
  'muted_until',
  'mute_changed_at',
] as const;

/**
 * What participant reads select: the written columns plus `blocked`, which only the block
 * statements write (an upsert of a participant must never clear a block).
 */
export const PARTICIPANT_READ_COLUMNS = [...PARTICIPANT_COLUMNS, 'blocked'] as const;

export interface ParticipantRow {
  conversation_id: string;
  user_id: string;
  role: ParticipantRole;
  joined_at: Date;
  left_at: Date | null;
  joined_seq: Int8;
  seen_message_id: string | null;
  seen_seq: Int8 | null;
  delivered_message_id: string | null;
  delivered_seq: Int8 | null;
  receipts_at: Date | null;
  muted: boolean;
  muted_until: Date | null;
  mute_changed_at: Date | null;
  /** Absent from rows of statements that do not select it. */
  blocked?: boolean;
}

export const watermarkFromRow = (id: string | null, seq: Int8 | null): Watermark | null =>
  id !== null && seq !== null ? { messageId: id, seq: Number(seq) } : null;

export const participantFromRow = (r: ParticipantRow): Participant => ({
  conversationId: r.conversation_id,
  userId: r.user_id,
  role: r.role,
  joinedAt: r.joined_at,
  leftAt: r.left_at,
  joinedSeq: Number(r.joined_seq),
  seen: watermarkFromRow(r.seen_message_id, r.seen_seq),
  delivered: watermarkFromRow(r.delivered_message_id, r.delivered_seq),
  receiptsAt: r.receipts_at,
  muted: r.muted,
  mutedUntil: r.muted_until,
  muteChangedAt: r.mute_changed_at,
  ...(r.blocked === true && { blocked: true }),
});

/** The insert parameters of a participant, in PARTICIPANT_COLUMNS order. */
export const participantParams = (p: Participant): unknown[] => [
  p.conversationId,
  p.userId,
  p.role,
  p.joinedAt,
  p.leftAt,
  p.joinedSeq,
  p.seen?.messageId ?? null,
  p.seen?.seq ?? null,
  p.delivered?.messageId ?? null,
  p.delivered?.seq ?? null,
  p.receiptsAt,
  p.muted,
  p.mutedUntil,
  p.muteChangedAt,
];

/** A media item as stored in the jsonb array: snake_case, optional keys absent when unset. */
interface MediaJson {
  url: string;
  type: MediaKind;
  thumbnail_url?: string;
  width?: number;
  height?: number;
  duration?: number;
}

/**
 * The jsonb parameter for a media list. Serialised here: pg would otherwise send a JS array as a
 * PostgreSQL array literal, not as JSON.
 */
export const mediaParam = (media: readonly MediaItem[]): string =>
  JSON.stringify(
    media.map((m): MediaJson => ({
      url: m.url,
      type: m.type,
      ...(m.thumbnailUrl !== undefined && { thumbnail_url: m.thumbnailUrl }),
      ...(m.width !== undefined && { width: m.width }),
      ...(m.height !== undefined && { height: m.height }),
      ...(m.duration !== undefined && { duration: m.duration }),
    })),
  );

const mediaFromJson = (media: readonly MediaJson[]): MediaItem[] =>
  media.map((m) => ({
    url: m.url,
    type: m.type,
    ...(m.thumbnail_url != null && { thumbnailUrl: m.thumbnail_url }),
    ...(m.width != null && { width: m.width }),
    ...(m.height != null && { height: m.height }),
    ...(m.duration != null && { duration: m.duration }),
  }));

export const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'sender_id',
  'content',
  'type',
  'media',
  'reply_to_message_id',
  'temp_id',
  'body_hash',
  'created_at',
  'updated_at',
  'deleted_at',
  'changed_at',
  'origin_socket_id',
  'mentions',
] as const;

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: Int8;
  sender_id: string;
  content: string | null;
  type: MessageType;
  media: MediaJson[];
  reply_to_message_id: string | null;
  temp_id: string | null;
  body_hash: string | null;
  created_at: Date;
  updated_at: Date | null;
  deleted_at: Date | null;
  changed_at: Date;
  origin_socket_id: string | null;
  mentions: string[];
}

export const messageFromRow = (r: MessageRow): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: Number(r.seq),
  senderId: r.sender_id,
  content: r.content,
  type: r.type,
  media: mediaFromJson(r.media),
  replyToMessageId: r.reply_to_message_id,
  tempId: r.temp_id,
  bodyHash: r.body_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
  changedAt: r.changed_at,
  originSocketId: r.origin_socket_id,
  mentions: r.mentions,
});

/** The insert parameters of a message, in MESSAGE_COLUMNS order. */
export const messageParams = (m: Message): unknown[] => [
  m.id,
  m.conversationId,
  m.seq,
  m.senderId,
  m.content,
  m.type,
  mediaParam(m.media),
  m.replyToMessageId,
  m.tempId,
  m.bodyHash,
  m.createdAt,
  m.updatedAt,
  m.deletedAt,
  m.changedAt,
  m.originSocketId,
  m.mentions,
];

export const SYNC_CURSOR_COLUMNS = [
  'id',
  'user_id',
  'positions',
  'changes_since',
  'created_at',
  'expires_at',
] as const;

export interface SyncCursorRow {
  id: string;
  user_id: string;
  positions: Record<string, number>;
  changes_since: Date;
  created_at: Date;
  expires_at: Date;
}

export const syncCursorFromRow = (r: SyncCursorRow): SyncCursorRecord => ({
  id: r.id,
  userId: r.user_id,
  positions: { ...r.positions },
  changesSince: r.changes_since,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** `$from, $from+1, …` for `count` consecutive parameters. */
export const placeholders = (count: number, from = 1): string =>
  Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

/**
 * For reads batched across callers (group commit): the value itself the first time it is handed
 * out, a deep copy (Dates too) every later time, so each caller holds records of its own.
 */
export function ownCopy<T extends object>(value: T, handed: Set<T>): T {
  if (!handed.has(value)) {
    handed.add(value);
    return value;
  }
  return structuredClone(value);
}
