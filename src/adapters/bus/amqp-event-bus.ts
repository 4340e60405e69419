// AmqpEventBus: the cluster-mode EventBus over RabbitMQ (confirmed publishes, ack after handler, retry → DLQ).
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import { UnavailableError } from '../../domain/errors';
import type { Logger } from '../../observability/logger';
import type { BusEvent } from '../../protocol/events';
import type { EventBus } from '../../ports';
import type { AmqpEventBusOptions } from './amqp-bus-options';
import { closeDeadLink, openLinkChannels } from './amqp-channels';
import { ConfirmedPublisher } from './amqp-confirmed-publisher';
import { DeliveryHandling, type ConsumerLink } from './amqp-delivery';
import * as topology from './amqp-topology';
import { AckBatcher } from './amqp-ack-batcher';

export type { AmqpEventBusOptions } from './amqp-bus-options';

type Handler = (event: BusEvent) => Promise<void>;

/** One connection's channels; replaced wholesale on every reconnect. */
interface Link extends ConsumerLink {
  model: ChannelModel;
  publisher: ConfirmChannel;
  /** One per partition queue, once consuming. */
  consumerTags: string[] | null;
  /** For counting the queues' backlog; opened on first use. */
  monitor?: Channel | null;
}

/** How often the consumer queues' backlog is measured once something asks for it. */
const BACKLOG_POLL_MS = 100;

export class AmqpEventBus implements EventBus {
  private connection: RecoveringChannelModel | null = null;
  private link: Link | null = null;
  private handler: Handler | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly publisher: ConfirmedPublisher;
  private readonly logger: Logger;
  private readonly partitions: number;
  private readonly deliveries: DeliveryHandling;
  private measuredBacklog = 0;
  private backlogTimer: NodeJS.Timeout | null = null;
  private measuring: Promise<number> | null = null;

  private constructor(private readonly options: AmqpEventBusOptions) {
    this.logger = options.logger;
    this.partitions = options.partitions ?? 8;
    this.deliveries = new DeliveryHandling({
      options,
      partitions: this.partitions,
      logger: this.logger,
      sendRetry: (key, content, publish) => {
        // Not while shutting down without a connection: nothing would come back to send it.
        if (this.closing && !this.link) return Promise.reject(new Error('event bus is closed'));
        return this.publisher.send(topology.RETRY_EXCHANGE, key, content, publish);
      },
    });
    this.publisher = new ConfirmedPublisher(
      options.publishTimeoutMs ?? 5_000,
      options.maxBufferedPublishes ?? 10_000,
      (seconds) => options.metrics?.observePublishConfirm(seconds),
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
    // A broker that does not confirm in time is an outage a retry can outlast, not a bug:
    // callers answer UNAVAILABLE (the outbox covers message.sent on its own).
    return this.publisher
      .send(topology.MESSAGE_EXCHANGE, event.key, content, {
        contentType: 'application/json',
        headers: { [topology.PARTITION_HEADER]: String(partition) },
      })
      .catch((err: unknown) => {
        throw new UnavailableError('the message broker', err);
      });
  }

  async subscribe(handler: Handler): Promise<void> {
    if (this.closing || this.stopped) throw new Error('event bus is closed');
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

  /**
   * Drain, first half: cancels the consumers (the broker hands their partitions to another node)
   * and waits for running handlers to finish and ack. Publishing keeps working, so the node can
   * still flush its outbox; a reconnect from now on does not consume again.
   */
  stopConsuming(): Promise<void> {
    this.stopped ??= this.cancelConsumers();
    return this.stopped;
  }

  private async cancelConsumers(): Promise<void> {
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
    // Their acks go now, not at the end of this turn: the channel may be closed right after.
    if (this.link?.consumerOpen) this.link.acks.flush();
  }

  /**
   * Events resting in `message_consumer.dlq`, asked of the broker now. On a channel of its own:
   * a failed check closes its channel, and that must not be the consumer's or the publisher's.
   */
  /**
   * Events not fanned out yet as far as this node can tell: the ready ones in the consumer queues
   * (published, not yet delivered to a consumer), as last measured — every BACKLOG_POLL_MS from
   * the first call on — plus the deliveries this node holds and has not finished (its prefetch
   * window: up to `prefetch` per partition it consumes, which the broker no longer counts ready).
   */
  backlog(): number {
    if (!this.backlogTimer && !this.closing) {
      this.backlogTimer = setInterval(() => {
        void this.measureBacklog().catch((err: unknown) => {
          this.logger.debug({ err }, 'amqp backlog check failed');
        });
      }, BACKLOG_POLL_MS);
      this.backlogTimer.unref();
    }
    return this.measuredBacklog + this.inFlight.size;
  }

  /** Counts the ready events of every partition queue now (one passive declare each). */
  measureBacklog(): Promise<number> {
    this.measuring ??= this.countReady().finally(() => {
      this.measuring = null;
    });
    return this.measuring;
  }

  private async countReady(): Promise<number> {
    const link = this.link;
    if (!link) return this.measuredBacklog;
    let monitor = link.monitor;
    if (!monitor) {
      const channel = await link.model.createChannel();
      channel.on('error', (err) => {
        this.logger.debug({ err }, 'amqp backlog channel error');
      });
      channel.on('close', () => {
        if (link.monitor === channel) link.monitor = null;
      });
      link.monitor = monitor = channel;
    }
    const counts = await Promise.all(
      Array.from({ length: this.partitions }, (_, k) =>
        monitor.checkQueue(topology.consumerQueue(k)).then((q) => q.messageCount),
      ),
    );
    this.measuredBacklog = counts.reduce((a, b) => a + b, 0);
    return this.measuredBacklog;
  }

  async deadLetterCount(): Promise<number> {
    const link = this.link;
    if (!link) throw new Error('amqp is not connected');
    const channel = await link.model.createChannel();
    channel.on('error', (err) => {
      this.logger.debug({ err }, 'amqp dead-letter check channel error');
    });
    try {
      return (await channel.checkQueue(topology.DEAD_LETTER_QUEUE)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    this.backlogTimer = null;
    await this.stopConsuming();
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
    const link: Link = await openLinkChannels(
      model,
      this.logger,
      (channels) => {
        const built: Link = {
          ...channels,
          consumerTags: null,
          acks: new AckBatcher(channels.consumer, () => built.consumerOpen, this.logger),
        };
        return built;
      },
      (dead) => {
        this.dropLink(dead);
      },
    );
    const { publisher, consumer } = link;
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
    closeDeadLink(link, this.logger);
  }

  private async startConsuming(link: Link, handler: Handler): Promise<string[]> {
    const onMessage = (message: ConsumeMessage | null): void => {
      if (message === null) {
        // The broker cancelled us (e.g. the queue was deleted): reconnecting re-declares it.
        this.logger.warn('amqp consumer cancelled by the broker');
        this.dropLink(link);
        return;
      }
      link.acks.received(message);
      const run = this.deliveries
        .run(link, handler, message)
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
}
