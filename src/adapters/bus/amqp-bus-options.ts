// The options of AmqpEventBus (amqp-event-bus.ts), each with its default.
import type { Logger } from '../../observability/logger';
import type { BusMetrics } from '../../observability/metrics';

export interface AmqpEventBusOptions {
  /** amqp(s):// URL, vhost included. */
  url: string;
  logger: Logger;
  /** Deliveries this node handles at once per partition it is active on (unacked). @default 50 */
  prefetch?: number;
  /**
   * Consumer queues `message_consumer.0…N-1`; a conversation's events all go to one. Fixed per
   * deployment (queue names are the topology). @default 8
   */
  partitions?: number;
  /**
   * A handler failing on a transient dependency error (UnavailableError) keeps being retried,
   * with backoff, for this long before the event is dead-lettered. @default 600000
   */
  transientRetryWindowMs?: number;
  /** Handler runs before a failing event is dead-lettered to `message_consumer.dlq`. @default 5 */
  maxAttempts?: number;
  /** Delay before the first retry; doubles on each further failure. @default 200 */
  retryBaseMs?: number;
  /** Cap on the retry delay. @default 30000 */
  retryMaxMs?: number;
  /**
   * Longest a publish may take — waiting out an outage or backpressure, then the broker confirm —
   * before it rejects; the caller (the outbox) retries. @default 5000
   */
  publishTimeoutMs?: number;
  /** Publishes that may wait for a connection or a drained channel; more reject. @default 10000 */
  maxBufferedPublishes?: number;
  /** Reconnect backoff, exponential with jitter. @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Failed tries of the first connection before `connect` rejects (startup fails fast). @default 3 */
  initialConnectRetries?: number;
  /** Confirm latency, consumer lag and retries go here. @default none */
  metrics?: BusMetrics;
}
