// Prometheus metrics of one node: its own Registry (tests boot several nodes in one process, so
// nothing goes into prom-client's global registry), the default process metrics, and `parley_*`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AppError } from '../domain/errors';
import { isClientFrameType } from '../protocol/frames';

/** How a connection reached the node: Socket.IO's two transports, or the raw WebSocket endpoint. */
export type ConnectionTransport = 'websocket' | 'polling' | 'raw';
export const CONNECTION_TRANSPORTS: readonly ConnectionTransport[] = [
  'websocket',
  'polling',
  'raw',
];

/** Which budget refused a request or frame (RATE_LIMIT_* in the configuration). */
export type RateLimitKind = 'ip' | 'writes' | 'messages' | 'typing' | 'frames';

/** What the AMQP bus reports; the bus takes this interface, not the whole Metrics. */
export interface BusMetrics {
  /** Seconds from handing an event to the broker until its publisher confirm. */
  observePublishConfirm(seconds: number): void;
  /** Seconds from an event's creation until a consumer started handling it. */
  observeConsumerLag(seconds: number): void;
  /** One failed handler run that was scheduled for a retry (not dead-lettered). */
  consumerRetried(): void;
}

/** What the Socket.IO Redis adapter's subscriber reports (classic and sharded alike). */
export interface AdapterMetrics {
  /** One message the adapter's subscriber connection received from Redis. */
  adapterMessageReceived(): void;
}

/** What a durable store reports: each command it sent its database. */
export interface StoreMetrics {
  storeCommand(kind: 'read' | 'write', origin: 'request' | 'background'): void;
}

/** What the webhook queues report: each attempt's outcome (docs/PROTOCOL.md §5.16). */
export interface WebhookMetrics {
  /** `retried`: it failed and another attempt is scheduled; `failed`: given up for good. */
  webhookDelivery(outcome: WebhookOutcome): void;
}

export type WebhookOutcome = 'delivered' | 'retried' | 'failed';

/** A number read when Prometheus scrapes (queue depth, pending rows); may query a backend. */
export type GaugeSource = () => number | Promise<number>;

/**
 * A scrape-time reading; NaN when the backend cannot answer right now, so one unreachable
 * dependency shows as "unknown" instead of failing the whole scrape.
 */
async function readSource(source: GaugeSource): Promise<number> {
  try {
    return await source();
  } catch {
    return Number.NaN;
  }
}

const SECONDS_FAST = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SECONDS_LAG = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface MetricsOptions {
  /** Added to every series as `node`, so series from several nodes stay apart once merged. */
  nodeId: string;
}

export class Metrics implements BusMetrics, AdapterMetrics, StoreMetrics, WebhookMetrics {
  readonly registry = new Registry();
  private readonly received: Counter;
  private readonly delivered: Counter;
  private readonly commandSeconds: Histogram<'type'>;
  private readonly publishConfirmSeconds: Histogram;
  private readonly consumerLagSeconds: Histogram;
  private readonly retries: Counter;
  private readonly rateLimitedTotal: Counter<'kind'>;
  private readonly adapterReceived: Counter;
  private readonly storeCommands: Counter<'kind' | 'origin'>;
  private readonly webhookDeliveries: Counter<'outcome'>;
  private connectionSource: () => Record<ConnectionTransport, number> = () => ({
    websocket: 0,
    polling: 0,
    raw: 0,
  });
  private dlqSource: GaugeSource | null = null;
  private outboxSource: GaugeSource | null = null;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: options.nodeId });
    collectDefaultMetrics({ register: this.registry });

    // Read at scrape time, so the figure is never stale and nothing has to keep it in step.
    const connections = (): Record<ConnectionTransport, number> => this.connectionSource();
    new Gauge({
      name: 'parley_connections',
      help: 'Open client connections on this node, by transport.',
      labelNames: ['transport'],
      registers,
      collect() {
        const counts = connections();
        for (const transport of CONNECTION_TRANSPORTS) this.set({ transport }, counts[transport]);
      },
    });
    this.received = new Counter({
      name: 'parley_messages_received_total',
      help: 'Messages this node accepted and stored (REST and both realtime transports; tempId replays excluded).',
      registers,
    });
    this.delivered = new Counter({
      name: 'parley_messages_delivered_total',
      help: "NEW_MESSAGE frames this node wrote to its clients' connections.",
      registers,
    });
    this.commandSeconds = new Histogram({
      name: 'parley_command_duration_seconds',
      help: 'Time to run one realtime frame through the command handler, by frame type.',
      labelNames: ['type'],
      buckets: SECONDS_FAST,
      registers,
    });
    this.publishConfirmSeconds = new Histogram({
      name: 'parley_bus_publish_confirm_seconds',
      help: 'Time from publishing a bus event until the broker confirmed it.',
      buckets: SECONDS_FAST,
      registers,
    });
    this.consumerLagSeconds = new Histogram({
      name: 'parley_consumer_lag_seconds',
      help: 'Age of a bus event when a consumer on this node started handling it.',
      buckets: SECONDS_LAG,
      registers,
    });
    this.retries = new Counter({
      name: 'parley_consumer_retries_total',
      help: 'Bus events whose handler failed on this node and were scheduled for a retry.',
      registers,
    });
    const dlq = (): GaugeSource | null => this.dlqSource;
    new Gauge({
      name: 'parley_dlq_messages',
      help: 'Events waiting in the dead-letter queue message_consumer.dlq.',
      registers,
      async collect() {
        const source = dlq();
        if (source) this.set(await readSource(source));
      },
    });
    const outbox = (): GaugeSource | null => this.outboxSource;
    new Gauge({
      name: 'parley_outbox_pending',
      help: 'Stored messages whose message.sent event is not yet published.',
      registers,
      async collect() {
        const source = outbox();
        if (source) this.set(await readSource(source));
      },
    });
    this.rateLimitedTotal = new Counter({
      name: 'parley_rate_limited_total',
      help: 'Requests and frames refused by a rate limit, by budget.',
      labelNames: ['kind'],
      registers,
    });
    this.adapterReceived = new Counter({
      name: 'parley_adapter_messages_received_total',
      help: "Messages the Socket.IO Redis adapter's subscriber received (broadcasts, server-side emits, requests; this node's own included).",
      registers,
    });
    this.storeCommands = new Counter({
      name: 'parley_store_commands_total',
      help: "Commands the store sent its database (PostgreSQL statements, MongoDB data commands), by kind, and by origin: a client's request, or the node's own background passes (outbox sweep, metrics scrape).",
      labelNames: ['kind', 'origin'],
      registers,
    });
    for (const kind of ['read', 'write'])
      for (const origin of ['request', 'background']) this.storeCommands.inc({ kind, origin }, 0);
    this.webhookDeliveries = new Counter({
      name: 'parley_webhook_deliveries_total',
      help: 'Webhook attempts by outcome: delivered, retried (failed, another attempt scheduled), failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** The Content-Type of `render()`'s text (Prometheus exposition format). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every series of this node in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  messageReceived(): void {
    this.received.inc();
  }

  messagesDelivered(count = 1): void {
    this.delivered.inc(count);
  }

  /** Unknown frame types share one `unknown` label: clients choose the type, not the series count. */
  observeCommand(type: string, seconds: number): void {
    this.commandSeconds.observe({ type: isClientFrameType(type) ? type : 'unknown' }, seconds);
  }

  observePublishConfirm(seconds: number): void {
    this.publishConfirmSeconds.observe(seconds);
  }

  observeConsumerLag(seconds: number): void {
    this.consumerLagSeconds.observe(Math.max(0, seconds));
  }

  consumerRetried(): void {
    this.retries.inc();
  }

  rateLimited(kind: RateLimitKind): void {
    this.rateLimitedTotal.inc({ kind });
  }

  adapterMessageReceived(): void {
    this.adapterReceived.inc();
  }

  storeCommand(kind: 'read' | 'write', origin: 'request' | 'background'): void {
    this.storeCommands.inc({ kind, origin });
  }

  webhookDelivery(outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** Where `parley_connections` reads this node's open connections at each scrape. */
  countConnectionsWith(source: () => Record<ConnectionTransport, number>): void {
    this.connectionSource = source;
  }

  /** Where `parley_dlq_messages` reads the dead-letter queue's depth; unset → it reads 0. */
  measureDlqWith(source: GaugeSource): void {
    this.dlqSource = source;
  }

  /** Where `parley_outbox_pending` reads the pending outbox count; unset → it reads 0. */
  measureOutboxWith(source: GaugeSource): void {
    this.outboxSource = source;
  }

  /**
   * Wraps the command handler's entry point: every frame is timed by type. Both transports call
   * the handler through the same `execute`, so wrapping it once covers them.
   */
  timeCommands<C, R>(
    execute: (type: unknown, payload: unknown, ctx: C) => Promise<R>,
  ): (type: unknown, payload: unknown, ctx: C) => Promise<R> {
    return async (type, payload, ctx) => {
      const stop = this.commandSeconds.startTimer();
      try {
        return await execute(type, payload, ctx);
      } finally {
        stop({ type: typeof type === 'string' && isClientFrameType(type) ? type : 'unknown' });
      }
    };
  }

  /** Wraps MessageService.send: counts the messages it stored, not the tempId replays it answered. */
  countReceived<A extends unknown[], R extends { created: boolean }>(
    send: (...args: A) => Promise<R>,
  ): (...args: A) => Promise<R> {
    return async (...args) => {
      const result = await send(...args);
      if (result.created) this.received.inc();
      return result;
    };
  }

  /** A budget that counts its refusals (AppError RATE_LIMITED) under `kind`; it behaves as before. */
  countRefusals<Q extends { consume(key: string): Promise<unknown> }>(
    kind: RateLimitKind,
    quota: Q,
  ): Q {
    const counted: Q = Object.create(quota) as Q;
    counted.consume = async (key: string) => {
      try {
        return await quota.consume(key);
      } catch (err) {
        if (err instanceof AppError && err.code === 'RATE_LIMITED') this.rateLimited(kind);
        throw err;
      }
    };
    return counted;
  }
}

/** The node's rate limiters with every per-user and per-IP budget counting its refusals. */
export function countRateLimits<
  L extends {
    sendLimiter: { consume(key: string): Promise<unknown> };
    typing: { consume(key: string): Promise<unknown> };
    restWrites: { consume(key: string): Promise<unknown> };
    ipRequests: { consume(key: string): Promise<unknown> };
  },
>(limiters: L, metrics: Metrics): L {
  return {
    ...limiters,
    sendLimiter: metrics.countRefusals('messages', limiters.sendLimiter),
    typing: metrics.countRefusals('typing', limiters.typing),
    restWrites: metrics.countRefusals('writes', limiters.restWrites),
    ipRequests: metrics.countRefusals('ip', limiters.ipRequests),
  };
}
