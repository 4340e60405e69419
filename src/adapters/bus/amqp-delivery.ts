// One delivery's life on the consuming side of AmqpEventBus: decode it, note how long it waited,
// run the handler, then ack it — or store a delayed retry copy first, or dead-letter it.
import type { Channel, ConsumeMessage, Message, Options } from 'amqplib';
import type { Logger } from '../../observability/logger';
import type { AckBatcher } from './amqp-ack-batcher';
import type { BusEvent } from '../../protocol/events';
import type { AmqpEventBusOptions } from './amqp-bus-options';
import { RetryPolicy } from './amqp-retry-policy';
import * as topology from './amqp-topology';

type Handler = (event: BusEvent) => Promise<void>;

/** The consumer channel a delivery came on; settling on a closed one is left to the broker. */
export interface ConsumerLink {
  consumer: Channel;
  consumerOpen: boolean;
  /** The consumer channel's acks, sent once per event-loop turn. */
  acks: AckBatcher;
}

export interface DeliveryHandlingDeps {
  options: AmqpEventBusOptions;
  partitions: number;
  logger: Logger;
  /** Publishes a retry copy to the retry exchange, resolving once the broker confirmed it. */
  sendRetry: (key: string, content: Buffer, publish: Options.Publish) => Promise<void>;
}

export class DeliveryHandling {
  private readonly retries: RetryPolicy;

  constructor(private readonly deps: DeliveryHandlingDeps) {
    this.retries = new RetryPolicy(deps.options, deps.partitions);
  }

  /** Runs one delivery to its end: acked, retried, dead-lettered, or left to the broker. */
  async run(link: ConsumerLink, handler: Handler, message: ConsumeMessage): Promise<void> {
    const decoded = topology.decodeDelivery(message);
    if (!decoded.ok) {
      const { routingKey } = message.fields;
      this.deps.logger.error(
        { routingKey, reason: decoded.reason },
        'malformed event dead-lettered',
      );
      this.settle(link, message, 'dead-letter');
      return;
    }
    // Measured before the handler: how long the event waited for a consumer, not how long it ran.
    const publishedAt = Date.parse(decoded.event.payload.timestamp);
    if (Number.isFinite(publishedAt)) {
      this.deps.options.metrics?.observeConsumerLag((Date.now() - publishedAt) / 1000);
    }
    try {
      await handler(decoded.event);
    } catch (err) {
      await this.retryOrDeadLetter(link, message, decoded.event, decoded.attempts + 1, err);
      return;
    }
    this.settle(link, message, 'ack');
  }

  /**
   * Retry = a copy in the retry queue (TTL = backoff, see amqp-topology.ts). The original is acked
   * only once that copy is confirmed durable: a crash in between duplicates the event, never loses it.
   */
  private async retryOrDeadLetter(
    link: ConsumerLink,
    message: ConsumeMessage,
    event: BusEvent,
    failed: number,
    err: unknown,
  ): Promise<void> {
    const decision = this.retries.decide(message, event, failed, err);
    const { maxAttempts } = this.retries;
    const log = {
      err,
      key: event.key,
      attempt: failed,
      maxAttempts,
      transient: decision.transient,
    };
    if (decision.kind === 'dead-letter') {
      this.deps.logger.error(log, 'event handler failed for good; dead-lettered');
      this.settle(link, message, 'dead-letter');
      return;
    }
    try {
      await this.deps.sendRetry(event.key, message.content, decision.publish);
    } catch (publishErr) {
      // No durable retry copy: hand the original back to the queue rather than drop it.
      this.deps.logger.error({ ...log, publishErr }, 'event retry not stored; requeued');
      this.settle(link, message, 'requeue');
      return;
    }
    this.deps.logger.warn(
      { ...log, delayMs: decision.delayMs },
      'event handler failed; retry scheduled',
    );
    this.deps.options.metrics?.consumerRetried();
    this.settle(link, message, 'ack');
  }

  private settle(
    link: ConsumerLink,
    message: Message,
    how: 'ack' | 'dead-letter' | 'requeue',
  ): void {
    if (!link.consumerOpen) {
      // The delivery died with its channel; the broker redelivers it to a live consumer.
      this.deps.logger.debug({ how }, 'amqp channel gone before settling; broker will redeliver');
      return;
    }
    try {
      if (how === 'ack') {
        link.acks.ack(message);
        return;
      }
      link.acks.settledOtherwise(message);
      link.consumer.nack(message, false, how === 'requeue');
    } catch (err) {
      // The connection is closing under us: same outcome, the broker redelivers.
      this.deps.logger.warn({ err, how }, 'amqp settle failed; broker will redeliver');
    }
  }
}
