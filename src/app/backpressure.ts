// Backpressure on acceptance: when delivery falls behind (events published and not yet taken by a
// consumer pile up), a send waits for the backlog to come down before it is written, and past a
// bound is refused as UNAVAILABLE with a retry hint — acceptance slows to what delivery keeps up
// with, instead of queueing without bound behind an acknowledgement.
import { LoadShedError } from '../domain/errors';

export interface BackpressureOptions {
  /** The bus's backlog as last measured (EventBus.backlog). */
  backlog: () => number;
  /** Sends wait while the backlog is at least this. */
  maxBacklog: number;
  /** Longest a send waits before it is refused. */
  maxWaitMs: number;
  /** How often a waiting send looks again. @default 20 */
  recheckMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Told of every refusal (for a bulk report: refusals are not logged one by one). */
  onRefused?: () => void;
}

export class Backpressure {
  private readonly recheckMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: BackpressureOptions) {
    this.recheckMs = options.recheckMs ?? 20;
    this.sleep =
      options.sleep ??
      ((ms) =>
        new Promise((resolve) => {
          setTimeout(resolve, ms);
        }));
    this.now = options.now ?? Date.now;
  }

  /** Resolves at once while delivery keeps up; otherwise once it has caught up, or throws. */
  async admit(): Promise<void> {
    const { backlog, maxBacklog, maxWaitMs } = this.options;
    if (backlog() < maxBacklog) return;
    const deadline = this.now() + maxWaitMs;
    while (backlog() >= maxBacklog) {
      if (this.now() >= deadline) {
        this.options.onRefused?.();
        throw LoadShedError.create('message delivery (behind)', Math.max(1000, maxWaitMs));
      }
      await this.sleep(this.recheckMs);
    }
  }
}
