// MemoryEventBus: the embedded mode's in-process bus; events reach this node's handler only.
// A handler that fails is run again later, as the broker's retry queue does in cluster mode: a
// store outage while an event is fanned out (its outbox mark already cleared) must delay the
// event, not drop it.
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

export class MemoryEventBus implements EventBus {
  private handler: ((event: BusEvent) => Promise<void>) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly logger: Logger,
    private readonly options: MemoryEventBusOptions = {},
  ) {}

  publish(event: BusEvent): Promise<void> {
    // Delivered after the publisher's own step finishes, as a broker would.
    if (this.handler) this.track(new Promise<void>((resolve) => setImmediate(resolve)), event, 0);
    return Promise.resolve();
  }

  /** Handlers waiting to run or running, retries included. */
  backlog(): number {
    return this.inFlight.size;
  }

  subscribe(handler: (event: BusEvent) => Promise<void>): Promise<void> {
    this.handler = handler;
    return Promise.resolve();
  }

  /** Lets handlers already running finish; events waiting for a retry are dropped, and logged. */
  async close(): Promise<void> {
    this.handler = null;
    for (const [timer, release] of this.retries) {
      clearTimeout(timer);
      release();
    }
    if (this.retries.size > 0)
      this.logger.warn({ events: this.retries.size }, 'bus closed with events waiting for a retry');
    this.retries.clear();
    await Promise.all([...this.inFlight]);
  }

  private track(start: Promise<void>, event: BusEvent, failed: number, firstFailedAt?: number) {
    const run = start
      .then(async () => {
        await this.handler?.(event);
      })
      .catch((err: unknown) => {
        this.failed(event, failed + 1, firstFailedAt ?? Date.now(), err);
      })
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private failed(event: BusEvent, failed: number, firstFailedAt: number, err: unknown): void {
    const {
      maxAttempts = 5,
      retryBaseMs = 200,
      retryMaxMs = 30_000,
      transientRetryWindowMs = 600_000,
    } = this.options;
    const transient = isUnavailable(err) && Date.now() - firstFailedAt < transientRetryWindowMs;
    if (!this.handler || (failed >= maxAttempts && !transient)) {
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
    this.track(wait, event, failed, firstFailedAt);
  }
}
