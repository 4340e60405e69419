// RabbitMQ topology of the webhook queue (exact names; docs/PROTOCOL.md §8.3), declared only when
// WEBHOOK_URL is set, and how its deliveries are told apart.
import type { Channel, Message } from 'amqplib';
import { MESSAGE_EXCHANGE } from '../bus/amqp-topology';

/*
 * message_events        topic  ── message.sent ──▶ webhook_events
 * webhook_events        queue  durable; competing consumers on every node; DLX webhook_events.dlx
 * webhook_events.retry.<ms>
 *                       queues durable, one per delay tier (a power of two in ms); per-message TTL
 *                              (the backoff), then dead-letters through the default exchange back
 *                              into webhook_events
 * webhook_events.dlx    fanout ──▶ webhook_events.dlq
 * webhook_events.dlq    queue  durable; notifications given up, and undecodable deliveries
 *
 * webhook_events sees two kinds of delivery: a `message.sent` event (from message_events; its
 * notification is still to be decided), and a retry copy coming back (the notification itself,
 * recipients frozen, with ATTEMPTS_HEADER). No ordering is needed, so unlike the partitioned bus
 * queues this one is shared by every node's consumer.
 *
 * RabbitMQ expires messages at a queue's head only, so one retry queue for every backoff would let
 * a long wait at its head hold back the short ones behind it. A retry copy goes instead to the
 * tier of its delay: the smallest power of two (in ms) at least that long. Every copy in a tier
 * expires within [tier/2, tier], so none waits behind another by more than half its tier: a retry
 * is never early and at most twice its backoff late. The tiers come from the retry policy's
 * bounds (jitter takes a delay down to half the backoff; Retry-After is capped at the maximum).
 */
export const WEBHOOK_QUEUE = 'webhook_events';
export const WEBHOOK_BINDING = 'message.sent';
export const WEBHOOK_RETRY_QUEUE_PREFIX = 'webhook_events.retry';

/** The delay tier of a backoff: the smallest power of two (ms) at least `delayMs`, ≥ 1. */
export function retryTierMs(delayMs: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, delayMs)));
}

/** The retry queue a copy waiting `delayMs` goes to. */
export const retryQueueFor = (delayMs: number): string =>
  `${WEBHOOK_RETRY_QUEUE_PREFIX}.${retryTierMs(delayMs)}`;

/** Every tier a delay within [minDelayMs, maxDelayMs] can fall in, shortest first. */
export function retryTiersMs(minDelayMs: number, maxDelayMs: number): number[] {
  const tiers: number[] = [];
  for (let t = retryTierMs(minDelayMs); t <= retryTierMs(maxDelayMs); t *= 2) tiers.push(t);
  return tiers;
}
export const WEBHOOK_DEAD_LETTER_EXCHANGE = 'webhook_events.dlx';
export const WEBHOOK_DEAD_LETTER_QUEUE = 'webhook_events.dlq';

/** Attempts already made of the notification a retry copy carries (absent on an event). */
export const ATTEMPTS_HEADER = 'x-parley-webhook-attempts';
/** Why a dead-lettered notification was given up. */
export const FAILURE_HEADER = 'x-parley-webhook-failure';

/**
 * Declares (idempotently) the queues above, with a retry queue for every tier of delays within
 * `delays`, and the binding to message_events.
 */
export async function assertWebhookTopology(
  channel: Channel,
  delays: { minMs: number; maxMs: number },
): Promise<void> {
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
  for (const tier of retryTiersMs(delays.minMs, delays.maxMs)) {
    await channel.assertQueue(`${WEBHOOK_RETRY_QUEUE_PREFIX}.${tier}`, {
      durable: true,
      deadLetterExchange: '',
      deadLetterRoutingKey: WEBHOOK_QUEUE,
    });
  }
  await channel.bindQueue(WEBHOOK_QUEUE, MESSAGE_EXCHANGE, WEBHOOK_BINDING);
}

/** Attempts made of a retry copy's notification, or 0 for a `message.sent` event. */
export function attemptsOf(message: Message): number {
  const raw: unknown = message.properties.headers?.[ATTEMPTS_HEADER];
  return typeof raw === 'number' && Number.isInteger(raw) && raw > 0 ? raw : 0;
}
