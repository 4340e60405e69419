// MemoryEventBus: the embedded mode's in-process bus; events reach this node's handler only.
import type { Logger } from '../../observability/logger';
import type { BusEvent } from '../../protocol/events';
import type { EventBus } from '../../ports';

export class MemoryEventBus implements EventBus {
  private handler: ((event: BusEvent) => Promise<void>) | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  publish(event: BusEvent): Promise<void> {
    const handler = this.handler;
    if (handler) {
      // Delivered after the publisher's own step finishes, as a broker would.
      const run = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => handler(event))
        .catch((err: unknown) => {
          this.logger.error({ err, key: event.key }, 'event handler failed');
        })
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
    return Promise.resolve();
  }

  subscribe(handler: (event: BusEvent) => Promise<void>): Promise<void> {
    this.handler = handler;
    return Promise.resolve();
  }

  /** Lets handlers already running finish. */
  async close(): Promise<void> {
    this.handler = null;
    await Promise.all([...this.inFlight]);
  }
}
