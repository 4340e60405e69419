// AmqpEventBus: the cluster-mode EventBus over RabbitMQ (confirmed publishes, ack after handler, retry → DLQ).
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Message,
  type RecoveringChannelModel,
} from 'amqplib';
import { isUnavailable } from '../../domain/errors';
import type { Logger } from '../../observability/logger';
import type { BusEvent } from '../../protocol/events';
import type { EventBus } from '../../ports';
import { ConfirmedPublisher } from './amqp-confirmed-publisher';
import * as topology from './amqp-topology';

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
}

type Handler = (event: BusEvent) => Promise<void>;

/** One connection's channels; replaced wholesale on every reconnect. */
interface Link {
  model: ChannelModel;
  publisher: ConfirmChannel;
  consumer: Channel;
  /** One per partition queue, once consuming. */
  consumerTags: string[] | null;
  consumerOpen: boolean;
}

export class AmqpEventBus implements EventBus {
  private connection: RecoveringChannelModel | null = null;
  private link: Link | null = null;
  private handler: Handler | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly publisher: ConfirmedPublisher;
  private readonly logger: Logger;
  private readonly partitions: number;

  private constructor(private readonly options: AmqpEventBusOptions) {
    this.logger = options.logger;
    this.partitions = options.partitions ?? 8;
    this.publisher = new ConfirmedPublisher(
      options.publishTimeoutMs ?? 5_000,
      options.maxBufferedPublishes ?? 10_000,
    );
  }

  /** Connects and declares the topology; from then on reconnects (re-declaring, re-consuming) until closed. */
  static async connect(options: AmqpEventBusOptions): Promise<AmqpEventBus> {
    const bus = new AmqpEventBus(options);
    const { reconnect = {}, initialConnectRetries = 3 } = options;
    // amqplib's recovery owns the reconnect loop and its timer; `setup` rebuilds our side each time.
    const connection = await connect(options.url, {
      noDelay: true,
      recovery: {
        initialDelay: reconnect.initialDelayMs ?? 100,
        maxDelay: reconnect.maxDelayMs ?? 5_000,
        initialMaxRetries: initialConnectRetries,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (model: ChannelModel) => bus.setupLink(model),
      },
    });
    bus.connection = connection;
    const log = options.logger;
    // 'error' needs a listener (an EventEmitter throws otherwise); the others are worth a log line.
    for (const name of ['disconnect', 'connect-failed', 'reconnect-failed', 'error'] as const) {
      connection.on(name, (err: Error) => {
        log.warn({ err }, `amqp ${name}`);
      });
    }
    connection.on('connect', () => {
      log.info('amqp connected');
    });
    connection.on('blocked', (reason: string) => {
      log.warn({ reason }, 'amqp connection blocked by the broker');
    });
    await connection.waitForConnect();
    return bus;
  }

  /** Readiness: connected, with open channels, right now. */
  isConnected(): boolean {
    return this.link !== null;
  }

  publish(event: BusEvent): Promise<void> {
    if (event.key === 'message.typing') {
      // Typing is ephemeral (docs/PROTOCOL.md §8.5): the realtime layer sends it through the Socket.IO adapter.
      // Published here it would land in message_consumer (bound to message.*), so refuse loudly.
      return Promise.reject(new Error('message.typing is ephemeral and never published durably'));
    }
    if (this.closing) return Promise.reject(new Error('event bus is closed'));
    const content = Buffer.from(JSON.stringify(event.payload));
    const partition = topology.partitionOf(event.payload.conversation_id, this.partitions);
    return this.publisher.send(topology.MESSAGE_EXCHANGE, event.key, content, {
      contentType: 'application/json',
      headers: { [topology.PARTITION_HEADER]: String(partition) },
    });
  }

  async subscribe(handler: Handler): Promise<void> {
    if (this.closing) throw new Error('event bus is closed');
    if (this.handler) throw new Error('AmqpEventBus takes one handler per node');
    this.handler = handler;
    const link = this.link;
    // Without a link, the next (re)connect starts the consumer: setupLink reads this.handler.
    if (link?.consumerTags === null) {
      try {
        link.consumerTags = await this.startConsuming(link, handler);
      } catch (err) {
        // Only a dying channel fails here, and its reconnect starts the consumer.
        this.logger.warn({ err }, 'amqp consume failed; retried on reconnect');
      }
    }
  }

  /** Stops consuming, lets running handlers finish (and ack), then closes; no reconnect after. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.handler = null;
    const link = this.link;
    if (link?.consumerTags != null && link.consumerOpen) {
      for (const tag of link.consumerTags) {
        await link.consumer.cancel(tag).catch((err: unknown) => {
          this.logger.debug({ err }, 'amqp cancel failed; the channel is already gone');
        });
      }
    }
    // Deliveries that came before cancel-ok are in inFlight too; their retries still publish.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.publisher.failWaiting(new Error('event bus is closed'));
    const current = this.link; // a newer link, if a reconnect happened meanwhile
    this.link = null;
    if (current) {
      // Channels first: a channel's close follows its acks on the same stream, whereas the
      // connection's close travels on channel 0 and could overtake them (the broker would requeue).
      await Promise.allSettled([current.consumer.close(), current.publisher.close()]);
    }
    // Ends the reconnect loop and its timer; closing channels rejects any unconfirmed publish.
    await this.connection?.close();
  }

  private async setupLink(model: ChannelModel): Promise<void> {
    // The recovery wrapper listens for the connection's 'error' only once setup has succeeded.
    model.on('error', (err) => {
      this.logger.debug({ err }, 'amqp connection error during setup');
    });
    const publisher = await model.createConfirmChannel();
    const consumer = await model.createChannel();
    const link: Link = { model, publisher, consumer, consumerTags: null, consumerOpen: true };
    for (const channel of [publisher, consumer]) {
      channel.on('error', (err) => {
        this.logger.warn({ err }, 'amqp channel error');
      });
      channel.on('close', () => {
        if (channel === consumer) link.consumerOpen = false;
        this.dropLink(link);
      });
    }
    await topology.assertTopology(publisher, this.partitions);
    // Per consumer (global=false): each partition this node is active on gets its own window.
    await consumer.prefetch(this.options.prefetch ?? 50, false);
    if (this.handler) link.consumerTags = await this.startConsuming(link, this.handler);
    if (this.closing) return; // shutdown closes this connection
    this.link = link;
    this.publisher.attach(publisher);
  }

  /** Forgets a dying link; a lone dead channel takes its connection down, so recovery redoes all. */
  private dropLink(link: Link): void {
    if (this.link !== link) return;
    this.link = null;
    this.publisher.detach();
    if (this.closing) return;
    this.logger.warn('amqp channel closed; reconnecting');
    // Deferred: when the whole connection is dying, its own 'close' comes right after its channels'.
    setImmediate(() => {
      link.model.close().catch((err: unknown) => {
        this.logger.debug({ err }, 'amqp connection already closed');
      });
    });
  }

  private async startConsuming(link: Link, handler: Handler): Promise<string[]> {
    const onMessage = (message: ConsumeMessage | null): void => {
      if (message === null) {
        // The broker cancelled us (e.g. the queue was deleted): reconnecting re-declares it.
        this.logger.warn('amqp consumer cancelled by the broker');
        this.dropLink(link);
        return;
      }
      const run = this.handle(link, handler, message)
        .catch((err: unknown) => {
          this.logger.error({ err }, 'amqp delivery handling failed');
        })
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    };
    const tags: string[] = [];
    for (let k = 0; k < this.partitions; k++) {
      const reply = await link.consumer.consume(topology.consumerQueue(k), onMessage, {
        noAck: false,
      });
      tags.push(reply.consumerTag);
    }
    return tags;
  }

  private async handle(link: Link, handler: Handler, message: ConsumeMessage): Promise<void> {
    const decoded = topology.decodeDelivery(message);
    if (!decoded.ok) {
      const { routingKey } = message.fields;
      this.logger.error({ routingKey, reason: decoded.reason }, 'malformed event dead-lettered');
      this.settle(link, message, 'dead-letter');
      return;
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
    link: Link,
    message: ConsumeMessage,
    event: BusEvent,
    failed: number,
    err: unknown,
  ): Promise<void> {
    const { maxAttempts = 5, retryBaseMs = 200, retryMaxMs = 30_000 } = this.options;
    const { transientRetryWindowMs = 600_000 } = this.options;
    const key = event.key;
    const firstFailedAt = topology.firstFailedAt(message) ?? Date.now();
    // A dependency outage is not the event's fault: keep retrying it (within a time bound) rather
    // than dead-letter a message that could still be delivered once the dependency is back.
    const transient = isUnavailable(err) && Date.now() - firstFailedAt < transientRetryWindowMs;
    const log = { err, key, attempt: failed, maxAttempts, transient };
    if (failed >= maxAttempts && !transient) {
      this.logger.error(log, 'event handler failed for good; dead-lettered');
      this.settle(link, message, 'dead-letter');
      return;
    }
    const delayMs = topology.retryDelayMs(failed, retryBaseMs, retryMaxMs);
    const partition = topology.partitionOf(event.payload.conversation_id, this.partitions);
    try {
      // Not while shutting down without a connection: nothing would come back to send it.
      if (this.closing && !this.link) throw new Error('event bus is closed');
      await this.publisher.send(topology.RETRY_EXCHANGE, key, message.content, {
        contentType: 'application/json',
        expiration: String(delayMs),
        headers: {
          [topology.ATTEMPTS_HEADER]: failed,
          [topology.FIRST_FAILED_HEADER]: firstFailedAt,
          [topology.PARTITION_HEADER]: String(partition),
        },
      });
    } catch (publishErr) {
      // No durable retry copy: hand the original back to the queue rather than drop it.
      this.logger.error({ ...log, publishErr }, 'event retry not stored; requeued');
      this.settle(link, message, 'requeue');
      return;
    }
    this.logger.warn({ ...log, delayMs }, 'event handler failed; retry scheduled');
    this.settle(link, message, 'ack');
  }

  private settle(link: Link, message: Message, how: 'ack' | 'dead-letter' | 'requeue'): void {
    if (!link.consumerOpen) {
      // The delivery died with its channel; the broker redelivers it to a live consumer.
      this.logger.debug({ how }, 'amqp channel gone before settling; broker will redeliver');
      return;
    }
    try {
      if (how === 'ack') link.consumer.ack(message);
      else link.consumer.nack(message, false, how === 'requeue');
    } catch (err) {
      // The connection is closing under us: same outcome, the broker redelivers.
      this.logger.warn({ err, how }, 'amqp settle failed; broker will redeliver');
    }
  }
}
