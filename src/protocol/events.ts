// Bus events: what MessageService publishes and the consumer handles (docs/PROTOCOL.md §8.2, snake_case).
import { z } from 'zod';
import { mediaListSchema } from './common';

const base = { timestamp: z.string() };

export const messageSentEventSchema = z.object({
  ...base,
  message_id: z.string(),
  conversation_id: z.string(),
  /** The message's position: the partition's consumer emits a conversation's messages by it. */
  seq: z.number().int().positive(),
  sender_id: z.string(),
  temp_id: z.string().nullable(),
  /** The sending socket, so the sender's other devices get NEW_MESSAGE and that one does not. */
  socket_id: z.string().nullish(),
  /**
   * Everything the consumer needs to emit the message without reading the store. Absent when
   * the outbox relay republishes an event (then the consumer reads the message and its
   * participants).
   */
  message: z
    .object({
      content: z.string().nullable(),
      type: z.enum(['TEXT', 'IMAGE', 'VIDEO', 'MIXED']),
      media: mediaListSchema,
      reply_to_message_id: z.string().nullable(),
      created_at: z.string().datetime(),
      sender_username: z.string(),
      sender_avatar: z.string().nullable(),
      /** The current participants when it got its seq (the sender included): its audience. */
      participant_ids: z.array(z.string()),
      /** Who it mentions (absent from events published before mentions existed: none). */
      mentions: z.array(z.string()).optional(),
    })
    .optional(),
});

/** The move: from just after `previous_seq` (0: from the start) up to `seq`, inclusive. */
const previous = {
  seq: z.number().int().positive(),
  previous_message_id: z.string().nullish(),
  previous_seq: z.number().int().nonnegative().nullish(),
  /**
   * True in a DIRECT conversation: the mover is the only recipient of the other's messages, so
   * the statuses follow from the move alone (absent: work them out from every participant).
   */
  direct: z.boolean().optional(),
};

export const messageDeliveredEventSchema = z.object({
  ...base,
  ...previous,
  message_id: z.string(),
  conversation_id: z.string(),
  user_id: z.string(),
  /** The move came with a seen move to the same message (MARK_SEEN); that one reports. */
  with_seen: z.boolean().optional(),
});

export const messageSeenEventSchema = z.object({
  ...base,
  ...previous,
  conversation_id: z.string(),
  user_id: z.string(),
  message_id: z.string(),
});

export const typingEventSchema = z.object({
  ...base,
  conversation_id: z.string(),
  user_id: z.string(),
});

export const messageUpdatedEventSchema = z.object({
  ...base,
  message_id: z.string(),
  conversation_id: z.string(),
  seq: z.number().int().positive().optional(),
  user_id: z.string(),
});

export const messageDeletedEventSchema = messageUpdatedEventSchema;

export const participantsChangedEventSchema = z.object({
  ...base,
  conversation_id: z.string(),
  user_id: z.string(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
});

/** A user muted or unmuted a conversation: their own devices learn it. */
export const conversationMutedEventSchema = z.object({
  ...base,
  conversation_id: z.string(),
  user_id: z.string(),
  muted: z.boolean(),
  muted_until: z.string().datetime().nullable(),
});

/** A message was pinned or unpinned: the conversation's current participants learn it. */
export const messagePinsEventSchema = z.object({
  ...base,
  conversation_id: z.string(),
  message_id: z.string(),
  /** Who pinned or unpinned it. */
  user_id: z.string(),
  pinned: z.boolean(),
  /** When pinned: pinned_at; when unpinned: unpinned_at. */
  pinned_at: z.string().datetime().nullish(),
  unpinned_at: z.string().datetime().nullish(),
});

/** A participant added or removed a reaction; every current participant's devices learn it. */
export const messageReactionsEventSchema = z.object({
  ...base,
  conversation_id: z.string(),
  message_id: z.string(),
  seq: z.number().int().positive(),
  user_id: z.string(),
  emoji: z.string(),
  action: z.enum(['added', 'removed']),
  /** The aggregate right after the change (the consumer sends the one it reads then). */
  reactions: z.array(z.object({ emoji: z.string(), count: z.number().int().positive() })),
});

/** Routing key → payload schema. Every durable key matches the consumer binding `message.*`. */
export const busEventSchemas = {
  'message.sent': messageSentEventSchema,
  'message.delivered': messageDeliveredEventSchema,
  'message.seen': messageSeenEventSchema,
  'message.typing': typingEventSchema,
  'message.updated': messageUpdatedEventSchema,
  'message.deleted': messageDeletedEventSchema,
  'message.participants': participantsChangedEventSchema,
  'message.muted': conversationMutedEventSchema,
  'message.pins': messagePinsEventSchema,
  'message.reactions': messageReactionsEventSchema,
} as const;

export type RoutingKey = keyof typeof busEventSchemas;
export type BusPayload<K extends RoutingKey> = z.infer<(typeof busEventSchemas)[K]>;
export type BusEvent = { [K in RoutingKey]: { key: K; payload: BusPayload<K> } }[RoutingKey];
