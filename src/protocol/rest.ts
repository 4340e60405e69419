// REST: request schemas (validated at the edge) and response shapes (snake_case on the wire).
import { z } from 'zod';
import {
  emojiSchema,
  httpUrlSchema,
  mediaListSchema,
  mentionIdsSchema,
  objectIdSchema,
  queryCursor,
  queryLimit,
  tempIdSchema,
} from './common';
import { MAX_SEARCH_QUERY_LENGTH } from '../domain/message-search';

export const registerBodySchema = z.object({
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,32}$/, 'must be 3-32 letters, digits, "_", "." or "-"'),
  password: z.string().min(8, 'must be at least 8 characters').max(256),
  avatar_url: httpUrlSchema.nullish(),
});

/** Login never reveals the password policy: any string pair is checked, wrong ones are 401. */
export const loginBodySchema = z.object({
  username: z.string().max(256),
  password: z.string().max(1024),
});

export const searchUsersQuerySchema = z.object({
  q: z
    .string({ invalid_type_error: 'must be given once' })
    .max(64)
    .optional()
    .transform((v) => v ?? ''),
  limit: queryLimit(1, 20, 10),
});

export const createConversationBodySchema = z.object({
  type: z.enum(['DIRECT', 'GROUP']),
  participant_ids: z.array(objectIdSchema).max(1000),
  name: z.string().trim().min(1).max(100).nullish(),
  avatar_url: httpUrlSchema.nullish(),
});

export const listConversationsQuerySchema = z.object({
  cursor: queryCursor,
  limit: queryLimit(1, 50, 20),
});

export const listMessagesQuerySchema = z.object({
  cursor: queryCursor,
  limit: queryLimit(1, 100, 50),
});

export const sendMessageBodySchema = z.object({
  content: z.string().nullish(),
  media: mediaListSchema.nullish(),
  reply_to_message_id: objectIdSchema.nullish(),
  temp_id: tempIdSchema.nullish(),
  mentions: mentionIdsSchema.nullish(),
});

/** `mentions` absent: the users the message mentioned stay mentioned (plus new `@username`s). */
export const editMessageBodySchema = z.object({
  content: z.string(),
  mentions: mentionIdsSchema.nullish(),
});

export const seenQuerySchema = z.object({
  message_id: objectIdSchema.optional(),
});

export const seenBodySchema = z.object({ message_id: objectIdSchema.optional() }).optional();

export const addParticipantsBodySchema = z.object({
  user_ids: z.array(objectIdSchema).min(1, 'must name at least one user').max(1000),
});

/**
 * PATCH /conversations/{id}/mute. `until` (muting only) ends the mute by itself; absent or null:
 * muted until undone. Whether it lies in the future is checked against the server's clock.
 */
export const muteBodySchema = z
  .object({
    muted: z.boolean(),
    until: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
      .nullish(),
  })
  .refine((b) => b.muted || b.until == null, {
    message: 'only a mute (muted: true) takes an end',
    path: ['until'],
  });

/**
 * GET /search/messages (§5.14): `q` is trimmed and required (a search never lists every
 * message); `conversation_id` narrows it to one conversation of the caller.
 */
export const searchMessagesQuerySchema = z.object({
  q: z
    .string({
      required_error: 'a search term is required',
      invalid_type_error: 'must be given once',
    })
    .trim()
    .min(1, 'a search term is required')
    .max(MAX_SEARCH_QUERY_LENGTH, `must be at most ${MAX_SEARCH_QUERY_LENGTH} characters`),
  conversation_id: objectIdSchema.optional(),
  cursor: queryCursor,
  limit: queryLimit(1, 50, 20),
});

export const conversationIdParams = z.object({ id: objectIdSchema });
export const messageIdParams = z.object({ id: objectIdSchema, messageId: objectIdSchema });
export const participantParams = z.object({ id: objectIdSchema, userId: objectIdSchema });
export const userIdParams = z.object({ userId: objectIdSchema });
/** PUT/DELETE …/messages/{message_id}/reactions/{emoji}: the emoji URL-encoded in the path. */
export const reactionParams = z.object({
  id: objectIdSchema,
  messageId: objectIdSchema,
  emoji: emojiSchema,
});

/**
 * SYNC (frame, `GET /sync?since=`, `POST /sync`): resume from an opaque cursor the server issued
 * (`since`, from `connected` or an earlier SYNC_RESULT) and/or from per-conversation positions
 * the client holds (`positions`: conversation id → the highest seq it has). Positions win over
 * the cursor for the conversations they name.
 */
export const syncRequestSchema = z.object({
  since: z.string().max(200).nullish(),
  positions: z
    .record(objectIdSchema, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER))
    .refine((p) => Object.keys(p).length <= 1000, 'at most 1000 conversations')
    .optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export const syncQuerySchema = z
  .object({ since: queryCursor, limit: queryLimit(1, 500, 100) })
  .strict();

// ---- responses ----

export const userPublicSchema = z.object({
  id: z.string(),
  username: z.string(),
  avatar_url: z.string().nullable(),
});

export const mediaItemSchema = z.object({
  url: z.string(),
  type: z.enum(['image', 'video']),
  thumbnail_url: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  duration: z.number().optional(),
});

/** One emoji's reactions to a message as the viewer sees them (the same keys in both casings). */
export const reactionCountSchema = z.object({
  emoji: z.string(),
  count: z.number().int().positive(),
  /** The viewer reacted with it. */
  me: z.boolean(),
});

export const messagePublicSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  sender_id: z.string(),
  sender_username: z.string().nullable(),
  sender_avatar: z.string().nullable(),
  content: z.string().nullable(),
  type: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'MIXED']),
  media: z.array(mediaItemSchema),
  status: z.enum(['SENT', 'DELIVERED', 'SEEN']),
  /** Per-conversation position, strictly increasing in stored order. */
  seq: z.number().int().positive(),
  reply_to_message_id: z.string().nullable(),
  temp_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string().nullable(),
  deleted_at: z.string().nullable(),
  /** Users it mentions (current participants when written or last edited); empty once deleted. */
  mentions: z.array(z.string()),
  /** Reactions per emoji, in the order each emoji was first used; [] for a fresh message. */
  reactions: z.array(reactionCountSchema),
});

export const conversationSummarySchema = z.object({
  id: z.string(),
  type: z.enum(['DIRECT', 'GROUP']),
  name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  last_message_content: z.string().nullable(),
  last_message_at: z.string().nullable(),
  unread_count: z.number(),
  /** Of the unread messages, those that mention the caller (same watermark rule). */
  unread_mention_count: z.number(),
  /** The caller muted it (it still counts unread); false again once `muted_until` passes. */
  muted: z.boolean(),
  /** When the caller's mute ends; null while not muted or muted until undone. */
  muted_until: z.string().nullable(),
  is_online: z.boolean(),
  last_active_at: z.string().nullable(),
  other_user_id: z.string().nullable(),
  updated_at: z.string(),
});

export const participantPublicSchema = z.object({
  user_id: z.string(),
  username: z.string().nullable(),
  avatar_url: z.string().nullable(),
  role: z.enum(['ADMIN', 'MEMBER']),
  is_online: z.boolean(),
  joined_at: z.string(),
});

export const conversationDetailSchema = z.object({
  id: z.string(),
  type: z.enum(['DIRECT', 'GROUP']),
  name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  created_by: z.string().nullable(),
  participants: z.array(participantPublicSchema),
  last_message: messagePublicSchema.nullable(),
  unread_count: z.number(),
  /** Of the unread messages, those that mention the caller (same watermark rule). */
  unread_mention_count: z.number(),
  /** The caller muted it (it still counts unread); false again once `muted_until` passes. */
  muted: z.boolean(),
  /** When the caller's mute ends; null while not muted or muted until undone. */
  muted_until: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const seenResultSchema = z.object({
  conversation_id: z.string(),
  last_seen_message_id: z.string().nullable(),
  unread_count: z.number(),
  unread_mention_count: z.number(),
});

/** A react or unreact answer: the message's reactions as the caller now sees them. */
export const messageReactionsSchema = z.object({
  conversation_id: z.string(),
  message_id: z.string(),
  reactions: z.array(reactionCountSchema),
});

export const syncResultSchema = z.object({
  /** Frames in order: per conversation, new messages by seq, then edits, receipts, membership, mutes. */
  events: z.array(z.object({ type: z.string() }).passthrough()),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
});

export type SyncResult = z.infer<typeof syncResultSchema>;
export type UserPublic = z.infer<typeof userPublicSchema>;
export type MediaItemPublic = z.infer<typeof mediaItemSchema>;
export type MessagePublic = z.infer<typeof messagePublicSchema>;

/** A pinned message as GET /conversations/{id}/pins lists it: the message view, plus its pin. */
export const pinnedMessageSchema = messagePublicSchema.extend({
  pinned_at: z.string(),
  pinned_by: z.string(),
});
export type PinnedMessage = z.infer<typeof pinnedMessageSchema>;

/** PUT and DELETE /conversations/{id}/pins/{message_id}: the message's pin as it now stands. */
export const pinStateSchema = z.object({
  conversation_id: z.string(),
  message_id: z.string(),
  pinned: z.boolean(),
  /** While pinned: when and by whom (the first pin: pinning again changes nothing). */
  pinned_at: z.string().nullable(),
  pinned_by: z.string().nullable(),
  /** While not pinned: when it was last unpinned (null if it never was pinned). */
  unpinned_at: z.string().nullable(),
});
export type PinState = z.infer<typeof pinStateSchema>;
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;
export type ParticipantPublic = z.infer<typeof participantPublicSchema>;
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;
export type SeenResult = z.infer<typeof seenResultSchema>;
export type ReactionCountPublic = z.infer<typeof reactionCountSchema>;
export type MessageReactions = z.infer<typeof messageReactionsSchema>;

/** A page of a list endpoint: the array is `data`, the cursor beside it. */
export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** GET /blocks: the caller's blocks, newest first. */
export const listBlocksQuerySchema = z.object({
  cursor: queryCursor,
  limit: queryLimit(1, 50, 20),
});

/** One block the caller made: who, and since when. */
export const blockPublicSchema = z.object({
  user: userPublicSchema,
  blocked_at: z.string(),
});

/** PUT / DELETE /blocks/{user_id}: whether the caller now blocks the user (blocked_at: since when). */
export const blockStateSchema = z.object({
  user: userPublicSchema,
  blocked: z.boolean(),
  blocked_at: z.string().nullable(),
});

export type BlockPublic = z.infer<typeof blockPublicSchema>;
export type BlockState = z.infer<typeof blockStateSchema>;
