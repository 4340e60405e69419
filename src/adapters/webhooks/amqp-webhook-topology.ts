// RabbitMQ topology of the webhook queue (exact names; docs/PROTOCOL.md §8.3), declared only when
// WEBHOOK_URL is set, and how its deliveries are told apart.
import type { Channel, Message } from 'amqplib';
import { MESSAGE_EXCHANGE } from '../bus/amqp-topology';

/*
 * message_events        topic  ── message.sent ──▶ webhook_events
 * webhook_events        queue  durable; competing consumers on every node; DLX webhook_events.dlx
 * webhook_events.retry  queue  durable; per-message TTL (the backoff), then dead-letters through
 *                              the default exchange back into webhook_events
 * webhook_events.dlx    fanout ──▶ webhook_events.dlq
 * webhook_events.dlq    queue  durable; notifications given up, and undecodable deliveries
 *
 * webhook_events sees two kinds of delivery: a `message.sent` event (from message_events; its
 * notification is still to be decided), and a retry copy coming back (the notification itself,
 * recipients frozen, with ATTEMPTS_HEADER). No ordering is needed, so unlike the partitioned bus
 * queues this one is shared by every node's consumer.
 */
export const WEBHOOK_QUEUE = 'webhook_events';
export const WEBHOOK_BINDING = 'message.sent';
export const WEBHOOK_RETRY_QUEUE = 'webhook_events.retry';
export const WEBHOOK_DEAD_LETTER_EXCHANGE = 'webhook_events.dlx';
export const WEBHOOK_DEAD_LETTER_QUEUE = 'webhook_events.dlq';

/** Attempts already made of the notification a retry copy carries (absent on an event). */
export const ATTEMPTS_HEADER = 'x-parley-webhook-attempts';
/** Why a dead-lettered notification was given up. */
export const FAILURE_HEADER = 'x-parley-webhook-failure';

/** Declares (idempotently) the queues above and the binding to message_events. */
export async function assertWebhookTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(MESSAGE_EXCHANGE, 'topic', { durable: true });
  await channel.assertExchange(WEBHOOK_DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(WEBHOOK_DEAD_LETTER_QUEUE, { durable: true });
  await channel.bindQueue(WEBHOOK_DEAD_LETTER_QUEUE, WEBHOOK_DEAD_LETTER_EXCHANGE, '');
  await channel.assertQueue(WEBHOOK_QUEUE, {
    durable: true,
    deadLetterExchange: WEBHOOK_DEAD_LETTER_EXCHANGE,
  });
  // No queue-level TTL: each copy carries its own expiration. '' is the default exchange, which
  // routes by queue name.
  await channel.assertQueue(WEBHOOK_RETRY_QUEUE, {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: WEBHOOK_QUEUE,
  });
  await channel.bindQueue(WEBHOOK_QUEUE, MESSAGE_EXCHANGE, WEBHOOK_BINDING);
}

/** Attempts made of a retry copy's notification, or 0 for a `message.sent` event. */
export function attemptsOf(message: Message): number {
  const raw: unknown = message.properties.headers?.[ATTEMPTS_HEADER];
  return typeof raw === 'number' && Number.isInteger(raw) && raw > 0 ? raw : 0;
}
