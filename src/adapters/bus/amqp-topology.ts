// RabbitMQ topology of the durable event bus (exact names), and how a delivery is decoded and retried.
import type { Channel, Message } from 'amqplib';
import { busEventSchemas, type BusEvent, type RoutingKey } from '../../protocol/events';

/*
 * events                     topic    durable  unused here (docs/PROTOCOL.md §8.1)
 * message_events             topic    durable  ── message.* ──▶ message_events.partitions
 * message_events.partitions  headers  durable  ── parley-partition = k ──▶ message_consumer.<k>
 * message_consumer.<k>       queue    durable  single-active-consumer; DLX message_events.dlx
 * message_events.dlx         fanout   durable  ──▶ message_consumer.dlq
 * message_consumer.dlq       queue    durable  where failed and malformed events rest
 * message_events.retry       fanout   durable  ──▶ message_consumer.retry
 * message_consumer.retry     queue    durable  x-dead-letter-exchange: message_events.redeliver
 * message_events.redeliver   fanout   durable  ──▶ message_events.partitions
 *
 * Partitions: the publisher stamps each event with the partition of its conversation (a hash of
 * the id), so all of a conversation's events queue in one `message_consumer.<k>`. Each partition
 * queue is single-active-consumer: every node consumes every partition, the broker delivers a
 * partition to one of them at a time (the longest-standing) and hands it to the next when that
 * node's connection dies — so one node emits a conversation's events, in queue order, and a
 * crash costs a takeover, not ordering. Routing keys stay those of docs/PROTOCOL.md §8.2
 * (`message.sent`…): any queue a deployment binds to `message_events` itself still sees every
 * event.
 *
 * A failed event is republished to the retry exchange with a per-message TTL (the backoff) and
 * its partition header; when it expires the broker dead-letters it through the redeliver
 * exchange back into its own partition only, so no other queue bound to message_events sees a
 * retry. Queue arguments are constants: RabbitMQ refuses (PRECONDITION_FAILED) to redeclare a
 * queue with different ones, so changing them (or the partition count) needs a migration.
 */
export const EVENTS_EXCHANGE = 'events';
export const MESSAGE_EXCHANGE = 'message_events';
export const PARTITION_EXCHANGE = 'message_events.partitions';
export const CONSUMER_QUEUE_PREFIX = 'message_consumer';
export const CONSUMER_BINDING = 'message.*';
export const DEAD_LETTER_EXCHANGE = 'message_events.dlx';
export const DEAD_LETTER_QUEUE = 'message_consumer.dlq';
export const RETRY_EXCHANGE = 'message_events.retry';
export const RETRY_QUEUE = 'message_consumer.retry';
export const REDELIVER_EXCHANGE = 'message_events.redeliver';

/** How many times the handler has already failed on this event (absent on a first delivery). */
export const ATTEMPTS_HEADER = 'x-parley-attempts';
/** When the handler first failed on this event (ms since epoch): bounds transient retries. */
export const FIRST_FAILED_HEADER = 'x-parley-first-failed-at';
/**
 * The partition (a decimal string: headers exchanges compare values with their types). Not
 * `x-` prefixed: a headers exchange ignores `x-` headers when matching, so such a binding
 * would match every message.
 */
export const PARTITION_HEADER = 'parley-partition';

export const consumerQueue = (partition: number): string => `${CONSUMER_QUEUE_PREFIX}.${partition}`;

/** The partition of a conversation: FNV-1a over its id, so every node picks the same one. */
export function partitionOf(conversationId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    hash ^= conversationId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** Declares (idempotently) every exchange, queue and binding above, for `partitions` queues. */
export async function assertTopology(channel: Channel, partitions: number): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(MESSAGE_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(PARTITION_EXCHANGE, 'headers', { durable: true });
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertExchange(RETRY_EXCHANGE, 'fanout', { durable: true });
  await channel.assertExchange(REDELIVER_EXCHANGE, 'fanout', { durable: true });

  await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true });
  // No queue-level TTL: each retry copy carries its own expiration (its backoff).
  await channel.assertQueue(RETRY_QUEUE, { durable: true, deadLetterExchange: REDELIVER_EXCHANGE });
  for (let k = 0; k < partitions; k++) {
    const queue = consumerQueue(k);
    await channel.assertQueue(queue, {
      durable: true,
      deadLetterExchange: DEAD_LETTER_EXCHANGE,
      arguments: { 'x-single-active-consumer': true },
    });
    await channel.bindQueue(queue, PARTITION_EXCHANGE, '', {
      'x-match': 'all',
      [PARTITION_HEADER]: String(k),
    });
  }

  await channel.bindExchange(PARTITION_EXCHANGE, MESSAGE_EXCHANGE, CONSUMER_BINDING);
  await channel.bindExchange(PARTITION_EXCHANGE, REDELIVER_EXCHANGE, '');
  await channel.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  await channel.bindQueue(RETRY_QUEUE, RETRY_EXCHANGE, '');
}

export type DecodedDelivery =
  { ok: true; event: BusEvent; attempts: number } | { ok: false; reason: string };

function isRoutingKey(key: string): key is RoutingKey {
  return Object.hasOwn(busEventSchemas, key);
}

/** Turns a delivery into a typed event, or says why it is malformed (and must be dead-lettered). */
export function decodeDelivery(message: Message): DecodedDelivery {
  const key = message.fields.routingKey;
  if (!isRoutingKey(key)) return { ok: false, reason: `unknown routing key ${key}` };
  let json: unknown;
  try {
    json = JSON.parse(message.content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = busEventSchemas[key].safeParse(json);
  if (!parsed.success) return { ok: false, reason: `invalid payload: ${parsed.error.message}` };
  // The schema was picked by `key`, so the pair is a BusEvent; TS cannot correlate the two.
  const event = { key, payload: parsed.data } as BusEvent;
  return { ok: true, event, attempts: attemptsOf(message) };
}

function attemptsOf(message: Message): number {
  const raw: unknown = message.properties.headers?.[ATTEMPTS_HEADER];
  return typeof raw === 'number' && Number.isInteger(raw) && raw > 0 ? raw : 0;
}

/** When the handler first failed on this delivery, or null on a first delivery. */
export function firstFailedAt(message: Message): number | null {
  const raw: unknown = message.properties.headers?.[FIRST_FAILED_HEADER];
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
}

/** Backoff before the retry that follows the `failedAttempts`-th failure: base·2^(n−1), capped. */
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}
