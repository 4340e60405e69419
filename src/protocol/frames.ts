// Realtime frames (camelCase): what clients send and what the server pushes, on both transports.
// Raw WebSocket: one JSON object with `type`. Socket.IO: event name = type, payload = the rest.
import { z } from 'zod';
import {
  emojiSchema,
  mediaListSchema,
  mentionIdsSchema,
  objectIdSchema,
  tempIdSchema,
} from './common';
import { mediaItemSchema, reactionCountSchema, syncRequestSchema, syncResultSchema } from './rest';

// ---- client → server ----

export const clientFrameSchemas = {
  SEND_MESSAGE: z.object({
    conversationId: objectIdSchema,
    content: z.string().nullish(),
    media: mediaListSchema.nullish(),
    tempId: tempIdSchema.nullish(),
    replyToMessageId: objectIdSchema.nullish(),
    mentions: mentionIdsSchema.nullish(),
  }),
  TYPING: z.object({ conversationId: objectIdSchema }),
  MARK_SEEN: z.object({ conversationId: objectIdSchema, messageId: objectIdSchema }),
  MARK_DELIVERED: z.object({ conversationId: objectIdSchema, messageId: objectIdSchema }),
  SYNC: syncRequestSchema,
  /** Replaces the socket's token before it expires; the socket closes when its token does. */
  REFRESH_TOKEN: z.object({ token: z.string().min(1).max(8192) }),
  ping: z.object({}),
  /** Pins a message (GROUP: admins; DIRECT: either participant); answered MESSAGE_PINNED. */
  PIN_MESSAGE: z.object({ conversationId: objectIdSchema, messageId: objectIdSchema }),
  /** Unpins a message (same rights as pinning); answered MESSAGE_UNPINNED. */
  UNPIN_MESSAGE: z.object({ conversationId: objectIdSchema, messageId: objectIdSchema }),
  /** One reaction per user per emoji per message: a repeat changes nothing. */
  REACT: z.object({
    conversationId: objectIdSchema,
    messageId: objectIdSchema,
    emoji: emojiSchema,
  }),
  UNREACT: z.object({
    conversationId: objectIdSchema,
    messageId: objectIdSchema,
    emoji: emojiSchema,
  }),
} as const;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ClientPayload<K extends ClientFrameType> = z.output<(typeof clientFrameSchemas)[K]>;
export const isClientFrameType = (t: string): t is ClientFrameType =>
  Object.prototype.hasOwnProperty.call(clientFrameSchemas, t);

// ---- server → client ----

const statusSchema = z.enum(['SENT', 'DELIVERED', 'SEEN']);

export const newMessageFrameSchema = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  senderId: z.string(),
  senderUsername: z.string().nullable(),
  senderAvatar: z.string().nullable(),
  content: z.string().nullable(),
  messageType: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'MIXED']),
  media: z.array(mediaItemSchema),
  status: statusSchema,
  /** Position in the conversation: strictly increasing in stored order; a jump means a gap to SYNC. */
  seq: z.number().int().positive(),
  createdAt: z.string(),
  replyToMessageId: z.string().nullable(),
  tempId: z.string().nullable(),
  updatedAt: z.string().nullable(),
  deletedAt: z.string().nullable(),
  /** Users the message mentions (§5.11). */
  mentions: z.array(z.string()),
  /** The message's reactions as the recipient sees them; [] (or absent) for a fresh message. */
  reactions: z.array(reactionCountSchema).optional(),
});

export const serverFrameSchemas = {
  connected: z.object({
    message: z.string(),
    user_id: z.string(),
    /** A SYNC cursor at this moment: `SYNC {since: cursor}` later returns what came after. */
    cursor: z.string().nullable(),
  }),
  pong: z.object({}),
  NEW_MESSAGE: newMessageFrameSchema,
  MESSAGE_ACK: z.object({
    tempId: z.string().nullable(),
    messageId: z.string(),
    conversationId: z.string(),
    seq: z.number().int().positive(),
    status: z.literal('SENT'),
  }),
  MESSAGE_STATUS: z.object({
    messageId: z.string(),
    conversationId: z.string(),
    status: statusSchema,
  }),
  MESSAGE_SEEN: z.object({
    conversationId: z.string(),
    userId: z.string(),
    username: z.string().nullable(),
    lastSeenMessageId: z.string(),
  }),
  TYPING: z.object({ conversationId: z.string(), userId: z.string(), username: z.string() }),
  ERROR: z.object({
    message: z.string(),
    code: z.string(),
    tempId: z.string().optional(),
    /** RATE_LIMITED and UNAVAILABLE: wait this long before retrying. */
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
  MESSAGE_UPDATED: z.object({
    conversationId: z.string(),
    messageId: z.string(),
    content: z.string().nullable(),
    updatedAt: z.string().nullable(),
    /** Who the message mentions after the edit (an edit re-resolves them). */
    mentions: z.array(z.string()),
  }),
  MESSAGE_DELETED: z.object({
    conversationId: z.string(),
    messageId: z.string(),
    deletedAt: z.string().nullable(),
  }),
  PARTICIPANTS_CHANGED: z.object({
    conversationId: z.string(),
    added: z.array(z.string()).optional(),
    removed: z.array(z.string()).optional(),
  }),
  /** To the user's own devices: their mute of a conversation (mutedUntil null: until undone). */
  CONVERSATION_MUTED: z.object({
    conversationId: z.string(),
    muted: z.boolean(),
    mutedUntil: z.string().nullable(),
  }),
  /** To current participants: a message was pinned (userId: by whom). */
  MESSAGE_PINNED: z.object({
    conversationId: z.string(),
    messageId: z.string(),
    userId: z.string(),
    pinnedAt: z.string(),
  }),
  /** To current participants: a message was unpinned (userId: by whom; or deleted, by its deleter). */
  MESSAGE_UNPINNED: z.object({
    conversationId: z.string(),
    messageId: z.string(),
    userId: z.string(),
    /** Null in the reply to UNPIN_MESSAGE of a message that never was pinned. */
    unpinnedAt: z.string().nullable(),
  }),
  SYNC_RESULT: syncResultSchema,
  /** Seqs in [fromSeq, toSeq] of a conversation hold no message and never will (a crashed send). */
  SEQ_GAP: z.object({
    conversationId: z.string(),
    fromSeq: z.number().int().positive(),
    toSeq: z.number().int().positive(),
  }),
  TOKEN_REFRESHED: z.object({ expiresAt: z.string().nullable() }),
  /** A draining node asks raw clients to reconnect (to another node) after this delay. */
  RECONNECT: z.object({ retryAfterMs: z.number().int().nonnegative() }),
  /**
   * A message's reactions changed (`userId` added or removed `emoji`). Live, `reactions` carry no
   * `me` (one event goes to everyone: each client derives it from `userId` and what it holds);
   * as the ACK of REACT / UNREACT and in SYNC they do.
   */
  MESSAGE_REACTIONS: z.object({
    conversationId: z.string(),
    messageId: z.string(),
    seq: z.number().int().positive(),
    userId: z.string(),
    emoji: z.string(),
    action: z.enum(['added', 'removed']),
    reactions: z.array(
      z.object({
        emoji: z.string(),
        count: z.number().int().positive(),
        me: z.boolean().optional(),
      }),
    ),
  }),
  /** Success reply through a Socket.IO acknowledgement for commands that have no reply frame. */
  OK: z.object({}),
} as const;

export type ServerFrameType = keyof typeof serverFrameSchemas;
export type ServerPayload<K extends ServerFrameType> = z.infer<(typeof serverFrameSchemas)[K]>;
/** A server frame as a raw WebSocket client sees it. */
export type ServerFrame = {
  [K in ServerFrameType]: { type: K } & ServerPayload<K>;
}[ServerFrameType];

export const frame = <K extends ServerFrameType>(type: K, payload: ServerPayload<K>): ServerFrame =>
  ({ type, ...payload }) as ServerFrame;

// ---- Socket.IO typed event maps, derived from the same schemas ----

type Ack = (reply: ServerFrame) => void;

export type ClientToServerEvents = {
  [K in ClientFrameType]: (payload: z.input<(typeof clientFrameSchemas)[K]>, ack?: Ack) => void;
};

export type ServerToClientEvents = {
  [K in ServerFrameType]: (payload: ServerPayload<K>, ack?: (...args: unknown[]) => void) => void;
};

/** What nodes tell each other through the Socket.IO adapter (server-side emits). */
export interface InterNodeEvents {
  /**
   * Deliver NEW_MESSAGE to these users' sockets on your node, asking each to acknowledge, and to
   * the sender's other devices there (the sending socket excepted), not asking.
   */
  'parley:deliver': (delivery: {
    recipients: string[];
    message: ServerPayload<'NEW_MESSAGE'>;
    echo: { userId: string; exceptSocketId: string | null };
  }) => void;
}

export interface SocketData {
  userId: string;
  username: string;
  avatarUrl: string | null;
}
