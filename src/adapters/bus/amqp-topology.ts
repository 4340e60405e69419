// RabbitMQ topology of the durable event bus (exact names), and how a delivery is decoded and retried.
import type { Channel, Message } from 'amqplib';
import { busEventSchemas, type BusEvent, type RoutingKey } from '../../protocol/events';

/*
 * events                    topic   durable  declared for notifications (docs/PROTOCOL.md §8.1), unused here
 * message_events            topic   durable  ── message.* ──▶ message_consumer
 * message_consumer          queue   durable  x-dead-letter-exchange: message_events.dlx
 * message_events.dlx        fanout  durable  ──▶ message_consumer.dlq
 * message_consumer.dlq      queue   durable  where failed and malformed events rest
 * message_events.retry      fanout  durable  ──▶ message_consumer.retry
 * message_consumer.retry    queue   durable  x-dead-letter-exchange: message_events.redeliver
 * message_events.redeliver  fanout  durable  ──▶ message_consumer
 *
 * A failed event is republished to the retry exchange with a per-message TTL (the backoff); when
 * it expires the broker dead-letters it through the redeliver exchange into message_consumer
 * only, so no other queue bound to message_events ever sees a retry. Fanout exchanges keep the
 * original routing key end to end, so the consumer, the DLQ and any replay see `message.sent`,
 * not a queue name. Queue arguments are constants: RabbitMQ refuses (PRECONDITION_FAILED) to
 * redeclare a queue with different ones, so changing them needs a migration, not an edit.
 */
export const EVENTS_EXCHANGE = 'events';
export const MESSAGE_EXCHANGE = 'message_events';
export const CONSUMER_QUEUE = 'message_consumer';
export const CONSUMER_BINDING = 'message.*';
export const DEAD_LETTER_EXCHANGE = 'message_events.dlx';
export const DEAD_LETTER_QUEUE = 'message_consumer.dlq';
export const RETRY_EXCHANGE = 'message_events.retry';
export const RETRY_QUEUE = 'message_consumer.retry';
export const REDELIVER_EXCHANGE = 'message_events.redeliver';

/** How many times the handler has already failed on this event (absent on a first delivery). */
export const ATTEMPTS_HEADER = 'x-parley-attempts';

/** Declares (idempotently) every exchange, queue and binding above. */
export async function assertTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(MESSAGE_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertExchange(RETRY_EXCHANGE, 'fanout', { durable: true });
  await channel.assertExchange(REDELIVER_EXCHANGE, 'fanout', { durable: true });

  await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true });
  await channel.assertQueue(CONSUMER_QUEUE, {
    durable: true,
    deadLetterExchange: DEAD_LETTER_EXCHANGE,
  });
  // No queue-level TTL: each retry copy carries its own expiration (its backoff).
  await channel.assertQueue(RETRY_QUEUE, { durable: true, deadLetterExchange: REDELIVER_EXCHANGE });

  await channel.bindQueue(CONSUMER_QUEUE, MESSAGE_EXCHANGE, CONSUMER_BINDING);
  await channel.bindQueue(CONSUMER_QUEUE, REDELIVER_EXCHANGE, '');
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

/** Backoff before the retry that follows the `failedAttempts`-th failure: base·2^(n−1), capped. */
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}
