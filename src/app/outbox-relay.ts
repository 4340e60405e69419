// The outbox relay: publishes `message.sent` for stored messages whose event never reached the
// broker (a crash or a broker outage between the write and the publish). Runs on every node.
import type { Logger } from '../observability/logger';
import type { Store } from '../ports';
import type { MessageService } from './message-service';

export interface OutboxRelayOptions {
  /** @default 5000 */
  intervalMs?: number;
  /** Age before a pending event is considered stuck rather than in flight. @default 5000 */
  graceMs?: number;
  /** @default 200 */
  batchSize?: number;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly deps: { store: Store; messages: MessageService; logger: Logger },
    options: OutboxRelayOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.graceMs = options.graceMs ?? 5000;
    this.batchSize = options.batchSize ?? 200;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.drain()
        .then(() => undefined)
        .finally(() => {
          this.running = null;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Publishes every stuck event once; each failure stays pending for the next pass. */
  async drain(): Promise<number> {
    const { store, messages, logger } = this.deps;
    let published = 0;
    try {
      const stuck = await store.listPendingMessageEvents(
        new Date(Date.now() - this.graceMs),
        this.batchSize,
      );
      const now = new Date();
      // A claim outlives one pass, so a failed publish is retried by some relay on a later one.
      const until = new Date(now.getTime() + 2 * this.intervalMs);
      for (const message of stuck) {
        // Still being published by this node (a slow broker confirm): not stuck, and a second
        // publish would only add to the load that made it slow.
        if (messages.isDispatching(message.id)) continue;
        // Every node runs a relay; the claim makes one of them republish each event.
        if (!(await store.claimPendingMessageEvent(message.id, now, until))) continue;
        if (await messages.dispatchSent(message)) published++;
      }
      if (stuck.length > 0)
        logger.info({ stuck: stuck.length, published }, 'outbox relay republished pending events');
    } catch (err) {
      logger.warn({ err }, 'outbox relay pass failed');
    }
    return published;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
