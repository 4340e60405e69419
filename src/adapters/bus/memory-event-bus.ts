// MemoryEventBus: the embedded mode's in-process bus; events reach this node's handlers only.
// A handler that fails is run again later, as the broker's retry queue does in cluster mode: a
// store outage while an event is fanned out (its outbox mark already cleared) must delay the
// event, not drop it. Each handler (the fan-out, the webhook queue) gets every event and is
// retried on its own, as queues bound to one exchange are: one failing never reruns another.
import { isUnavailable } from '../../domain/errors';
import type { Logger } from '../../observability/logger';
import type { BusEvent } from '../../protocol/events';
import type { EventBus } from '../../ports';
import { retryDelayMs } from './amqp-topology';

export interface MemoryEventBusOptions {
  /** Runs of a handler that fails for a reason other than an outage. @default 5 */
  maxAttempts?: number;
  /** @default 200 */
  retryBaseMs?: number;
  /** @default 30000 */
  retryMaxMs?: number;
  /** How long an event that fails on an outage (UnavailableError) keeps being retried. @default 600000 */
  transientRetryWindowMs?: number;
}

type Handler = (event: BusEvent) => Promise<void>;

export class MemoryEventBus implements EventBus {
  private handlers: Handler[] = [];
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly logger: Logger,
    private readonly options: MemoryEventBusOptions = {},
  ) {}

  publish(event: BusEvent): Promise<void> {
    // Delivered after the publisher's own step finishes, as a broker would.
    for (const handler of this.handlers) {
      this.track(handler, new Promise<void>((resolve) => setImmediate(resolve)), event, 0);
    }
    return Promise.resolve();
  }

  /** Handlers waiting to run or running, retries included. */
  backlog(): number {
    return this.inFlight.size;
  }

  subscribe(handler: Handler): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event bus is closed'));
    this.handlers.push(handler);
    return Promise.resolve();
  }

  /** Lets handlers already running finish; events waiting for a retry are dropped, and logged. */
  async close(): Promise<void> {
    this.closed = true;
    this.handlers = [];
    for (const [timer, release] of this.retries) {
      clearTimeout(timer);
      release();
    }
    if (this.retries.size > 0)
      this.logger.warn({ events: this.retries.size }, 'bus closed with events waiting for a retry');
    this.retries.clear();
    await Promise.all([...this.inFlight]);
  }

  private track(
    handler: Handler,
    start: Promise<void>,
    event: BusEvent,
    failed: number,
    firstFailedAt?: number,
  ) {
    const run = start
      .then(async () => {
        if (!this.closed) await handler(event);
      })
      .catch((err: unknown) => {
        this.failed(handler, event, failed + 1, firstFailedAt ?? Date.now(), err);
      })
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private failed(
    handler: Handler,
    event: BusEvent,
    failed: number,
    firstFailedAt: number,
    err: unknown,
  ): void {
    const {
      maxAttempts = 5,
      retryBaseMs = 200,
      retryMaxMs = 30_000,
      transientRetryWindowMs = 600_000,
    } = this.options;
    const transient = isUnavailable(err) && Date.now() - firstFailedAt < transientRetryWindowMs;
    if (this.closed || (failed >= maxAttempts && !transient)) {
      this.logger.error({ err, key: event.key, attempts: failed }, 'event handler failed; dropped');
      return;
    }
    const delayMs = retryDelayMs(failed, retryBaseMs, retryMaxMs);
    this.logger.warn(
      { err, key: event.key, attempts: failed, delayMs },
      'event handler failed; retrying',
    );
    const wait = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        resolve();
      }, delayMs);
      this.retries.set(timer, resolve);
    });
    this.track(handler, wait, event, failed, firstFailedAt);
  }
}
