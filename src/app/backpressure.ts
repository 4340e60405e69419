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
  /** How often the waiting sends look again (one timer for all of them). @default 20 */
  recheckMs?: number;
  now?: () => number;
  /** Told of every refusal (for a bulk report: refusals are not logged one by one). */
  onRefused?: () => void;
}

interface Waiter {
  admit: () => void;
  refuse: (err: Error) => void;
  deadline: number;
}

/**
 * Waiting sends queue in arrival order and are let through first come, first served: a send that
 * arrives while others wait queues behind them even when the backlog has just come down, so a
 * send's wait is bounded by those ahead of it, not by luck against newcomers.
 */
export class Backpressure {
  private readonly recheckMs: number;
  private readonly now: () => number;
  private readonly waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: BackpressureOptions) {
    this.recheckMs = options.recheckMs ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Resolves at once while delivery keeps up; otherwise once it has caught up, or throws. */
  admit(): Promise<void> {
    const { backlog, maxBacklog, maxWaitMs } = this.options;
    if (this.waiting.length === 0 && backlog() < maxBacklog) return Promise.resolve();
    return new Promise((admit, refuse) => {
      this.waiting.push({ admit, refuse, deadline: this.now() + maxWaitMs });
      this.timer ??= setTimeout(() => {
        this.recheck();
      }, this.recheckMs);
    });
  }

  private recheck(): void {
    this.timer = null;
    const { backlog, maxBacklog, maxWaitMs } = this.options;
    // Room below the bound lets that many through at once: each counts in the backlog only once
    // it runs, so letting more go would overshoot it.
    let room = maxBacklog - backlog();
    for (let next = this.waiting[0]; next && room > 0; next = this.waiting[0], room--) {
      this.waiting.shift();
      next.admit();
    }
    // Every send waits as long at most, so the oldest are the first past their deadline.
    const now = this.now();
    for (let next = this.waiting[0]; next && next.deadline <= now; next = this.waiting[0]) {
      this.waiting.shift();
      this.options.onRefused?.();
      next.refuse(LoadShedError.create('message delivery (behind)', Math.max(1000, maxWaitMs)));
    }
    if (this.waiting.length > 0)
      this.timer = setTimeout(() => {
        this.recheck();
      }, this.recheckMs);
  }
}
