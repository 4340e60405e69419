// AmqpWebhookQueue: cluster mode's webhook queue over RabbitMQ, on a connection of its own. Every
// node consumes `webhook_events` (competing consumers, small prefetch); a retry is a confirmed
// copy of the notification in the `webhook_events.retry.<ms>` queue of its delay, published before
// the delivery is acked.
import {
  connect,
  type ChannelModel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import type { WebhookNotifier } from '../../app/webhook-notifier';
import type { Logger } from '../../observability/logger';
import { messageSentEventSchema, type BusPayload } from '../../protocol/events';
import { messageCreatedWebhookSchema, type MessageCreatedWebhook } from '../../protocol/webhooks';
import type { WebhookQueue } from '../../ports';
import { closeDeadLink, openLinkChannels, type ChannelLink } from '../bus/amqp-channels';
import { ConfirmedPublisher } from '../bus/amqp-confirmed-publisher';
import * as topology from './amqp-webhook-topology';
import type { WebhookAttempts } from './webhook-attempts';

export interface AmqpWebhookQueueOptions {
  /** amqp(s):// URL, vhost included (RABBITMQ_URL). */
  url: string;
  notifier: Pick<WebhookNotifier, 'notificationFor'>;
  attempts: WebhookAttempts;
  logger: Logger;
  /**
   * Deliveries one node works on at once: each may wait for a receiver up to WEBHOOK_TIMEOUT_MS,
   * so a small window leaves the rest queued for other nodes. @default 4
   */
  prefetch?: number;
  /** A retry or dead-letter copy not confirmed within it requeues the delivery. @default 5000 */
  publishTimeoutMs?: number;
  /** Reconnect backoff, exponential with jitter. @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** One connection's channels; replaced wholesale on every reconnect. */
interface Link extends ChannelLink {
  consumerTag: string | null;
}

type Decoded =
  | { kind: 'event'; payload: BusPayload<'message.sent'> }
  | { kind: 'notification'; notification: MessageCreatedWebhook; attempts: number }
  | { kind: 'malformed'; reason: string };

export class AmqpWebhookQueue implements WebhookQueue {
  private connection: RecoveringChannelModel | null = null;
  private link: Link | null = null;
  private consuming = false;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Deliveries held back after a failed decision, released (requeued) early on close. */
  private readonly holds = new Map<NodeJS.Timeout, () => void>();
  private readonly publisher: ConfirmedPublisher;
  private readonly logger: Logger;

  private constructor(private readonly options: AmqpWebhookQueueOptions) {
    this.logger = options.logger;
    this.publisher = new ConfirmedPublisher(options.publishTimeoutMs ?? 5_000, 1_000);
  }

  /** Connects and declares the webhook topology; consumes once started; reconnects until closed. */
  static async connect(options: AmqpWebhookQueueOptions): Promise<AmqpWebhookQueue> {
    const queue = new AmqpWebhookQueue(options);
    const { reconnect = {} } = options;
    const connection = await connect(options.url, {
      noDelay: true,
      recovery: {
        initialDelay: reconnect.initialDelayMs ?? 100,
        maxDelay: reconnect.maxDelayMs ?? 5_000,
        initialMaxRetries: 3,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (model: ChannelModel) => queue.setupLink(model),
      },
    });
    queue.connection = connection;
    for (const name of ['disconnect', 'connect-failed', 'reconnect-failed', 'error'] as const) {
      connection.on(name, (err: Error) => {
        options.logger.warn({ err }, `amqp webhooks ${name}`);
      });
    }
    await connection.waitForConnect();
    return queue;
  }

  async start(): Promise<void> {
    if (this.closing) throw new Error('webhook queue is closed');
    this.consuming = true;
    const link = this.link;
    if (link && link.consumerTag === null) {
      link.consumerTag = await this.consume(link);
    }
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.consuming = false;
    const link = this.link;
    if (link?.consumerTag != null && link.consumerOpen) {
      await link.consumer.cancel(link.consumerTag).catch((err: unknown) => {
        this.logger.debug({ err }, 'amqp webhook cancel failed; the channel is already gone');
      });
    }
    for (const [timer, release] of this.holds) {
      clearTimeout(timer);
      release();
    }
    this.holds.clear();
    // Attempts in flight finish, and store their retry copies, before the channels go.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.publisher.failWaiting(new Error('webhook queue is closed'));
    this.link = null;
    if (link) await Promise.allSettled([link.consumer.close(), link.publisher.close()]);
    await this.connection?.close();
  }

  private async setupLink(model: ChannelModel): Promise<void> {
    const link: Link = await openLinkChannels(
      model,
      this.logger,
      (channels) => ({ ...channels, consumerTag: null }),
      (dead) => {
        this.dropLink(dead);
      },
    );
    const { publisher, consumer } = link;
    const { retryBaseMs, retryMaxMs } = this.options.attempts.policy;
    // Jitter takes a backoff down to half; nothing waits longer than the maximum.
    await topology.assertWebhookTopology(publisher, {
      minMs: Math.min(retryBaseMs, retryMaxMs) / 2,
      maxMs: retryMaxMs,
    });
    await consumer.prefetch(this.options.prefetch ?? 4, false);
    if (this.consuming) link.consumerTag = await this.consume(link);
    if (this.closing) return;
    this.link = link;
    this.publisher.attach(publisher);
  }

  private dropLink(link: Link): void {
    if (this.link !== link) return;
    this.link = null;
    this.publisher.detach();
    if (this.closing) return;
    closeDeadLink(link, this.logger);
  }

  private async consume(link: Link): Promise<string> {
    const reply = await link.consumer.consume(
      topology.WEBHOOK_QUEUE,
      (message: ConsumeMessage | null) => {
        if (message === null) {
          this.logger.warn('amqp webhook consumer cancelled by the broker');
          this.dropLink(link);
          return;
        }
        const run = this.handle(link, message)
          .catch((err: unknown) => {
            this.logger.error({ err }, 'amqp webhook delivery handling failed');
          })
          .finally(() => this.inFlight.delete(run));
        this.inFlight.add(run);
      },
      { noAck: false },
    );
    return reply.consumerTag;
  }

  /** One delivery to its end: acked (delivered, nobody to notify, or a copy stored), or handed back. */
  private async handle(link: Link, message: ConsumeMessage): Promise<void> {
    const decoded = decode(message);
    if (decoded.kind === 'malformed') {
      this.logger.error({ reason: decoded.reason }, 'malformed webhook delivery dead-lettered');
      this.settle(link, message, 'dead-letter');
      return;
    }
    let notification: MessageCreatedWebhook | null;
    let attempt: number;
    if (decoded.kind === 'event') {
      try {
        notification = await this.options.notifier.notificationFor(decoded.payload);
      } catch (err) {
        // A store or presence outage: nothing was sent yet, so the event itself goes back, after a
        // pause that keeps it from spinning through the queue.
        this.logger.warn(
          { err, messageId: decoded.payload.message_id },
          'webhook notification not decided; requeued',
        );
        await this.hold(this.options.attempts.policy.retryBaseMs);
        this.settle(link, message, 'requeue');
        return;
      }
      if (!notification) {
        this.settle(link, message, 'ack');
        return;
      }
      attempt = 1;
    } else {
      notification = decoded.notification;
      attempt = decoded.attempts + 1;
    }

    const step = await this.options.attempts.run(notification, attempt);
    if (step.kind === 'delivered') {
      this.settle(link, message, 'ack');
      return;
    }
    const body = Buffer.from(JSON.stringify(notification));
    const headers =
      step.kind === 'retry'
        ? { [topology.ATTEMPTS_HEADER]: attempt }
        : { [topology.ATTEMPTS_HEADER]: attempt, [topology.FAILURE_HEADER]: step.reason };
    const key =
      step.kind === 'retry'
        ? topology.retryQueueFor(step.delayMs)
        : topology.WEBHOOK_DEAD_LETTER_QUEUE;
    try {
      await this.publisher.send('', key, body, {
        contentType: 'application/json',
        headers,
        ...(step.kind === 'retry' && { expiration: String(step.delayMs) }),
      });
    } catch (err) {
      // No durable copy: the delivery itself goes back (a retry) or to the DLQ as it came.
      this.logger.error({ err, delivery: notification.id, key }, 'webhook copy not stored');
      this.settle(link, message, step.kind === 'retry' ? 'requeue' : 'dead-letter');
      return;
    }
    this.settle(link, message, 'ack');
  }

  private hold(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.holds.delete(timer);
        resolve();
      }, ms);
      this.holds.set(timer, resolve);
    });
  }

  private settle(
    link: Link,
    message: ConsumeMessage,
    how: 'ack' | 'dead-letter' | 'requeue',
  ): void {
    // A delivery whose channel died is redelivered by the broker to a live consumer.
    if (!link.consumerOpen) return;
    try {
      if (how === 'ack') link.consumer.ack(message);
      else link.consumer.nack(message, false, how === 'requeue');
    } catch (err) {
      this.logger.warn({ err, how }, 'amqp webhook settle failed; broker will redeliver');
    }
  }
}

/** A `message.sent` event (no attempts header) or a retry copy's notification. */
function decode(message: ConsumeMessage): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(message.content.toString('utf8'));
  } catch {
    return { kind: 'malformed', reason: 'payload is not JSON' };
  }
  const attempts = topology.attemptsOf(message);
  if (attempts === 0) {
    const parsed = messageSentEventSchema.safeParse(json);
    return parsed.success
      ? { kind: 'event', payload: parsed.data }
      : { kind: 'malformed', reason: `invalid message.sent: ${parsed.error.message}` };
  }
  const parsed = messageCreatedWebhookSchema.safeParse(json);
  return parsed.success
    ? { kind: 'notification', notification: parsed.data, attempts }
    : { kind: 'malformed', reason: `invalid notification: ${parsed.error.message}` };
}
