// Admission control in front of the PostgreSQL pool: at most `slots` statements are with the pool
// at once, so the pool never keeps waiters of its own (pg-pool bounds that wait by the connect
// timeout, and a reconnect storm failed on it as UNAVAILABLE by the hundred). The rest wait here,
// in arrival order, in a bounded queue and for a bounded time: a burst is served late rather than
// refused, and only a full queue or an over-long wait is refused (UNAVAILABLE, retryable).
import { UnavailableError } from '../../../domain/errors';

export interface StatementAdmissionOptions {
  /** Statements with the pool at once: the pool's size, so none waits inside the pool. */
  slots: number;
  /** Statements waiting at most; one more is refused at once. */
  maxQueued: number;
  /** How long a statement may wait for a slot before it is refused. */
  maxWaitMs: number;
}

interface Waiter {
  start: () => void;
  refuse: (err: Error) => void;
  /** Started or refused already (a timed-out waiter stays in the array, skipped). */
  settled: boolean;
  timer: NodeJS.Timeout;
}

/** A refusal asks for a retry after about this long. */
const RETRY_AFTER_MS = 1000;

const closing = (): UnavailableError =>
  new UnavailableError('the database (store closing)', undefined, RETRY_AFTER_MS);

export class StatementAdmission {
  private running = 0;
  private queued = 0;
  /** FIFO; `head` is the next to consider (shifting a long array is quadratic). */
  private waiters: Waiter[] = [];
  private head = 0;
  private closed = false;

  constructor(private readonly options: StatementAdmissionOptions) {}

  /** Statements waiting for a slot now. */
  get waiting(): number {
    return this.queued;
  }

  /** Runs `task` once a slot is free; refuses with UnavailableError when the queue is full or the wait too long. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) throw closing();
    if (this.running >= this.options.slots) await this.waitForSlot();
    else this.running++;
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Refuses every statement waiting and every later one; those running finish. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(this.head)) {
      if (waiter.settled) continue;
      waiter.settled = true;
      clearTimeout(waiter.timer);
      waiter.refuse(closing());
    }
    this.waiters = [];
    this.head = 0;
    this.queued = 0;
  }

  private waitForSlot(): Promise<void> {
    if (this.closed) return Promise.reject(closing());
    if (this.queued >= this.options.maxQueued)
      return Promise.reject(
        new UnavailableError('the database (admission queue full)', undefined, RETRY_AFTER_MS),
      );
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        refuse: reject,
        settled: false,
        timer: setTimeout(() => {
          waiter.settled = true;
          this.queued--;
          reject(
            new UnavailableError(
              'the database (admission wait too long)',
              undefined,
              RETRY_AFTER_MS,
            ),
          );
        }, this.options.maxWaitMs),
      };
      this.waiters.push(waiter);
      this.queued++;
    });
  }

  /** Hands the freed slot to the oldest waiter still waiting, or frees it. */
  private release(): void {
    for (let next = this.waiters[this.head]; next; next = this.waiters[this.head]) {
      this.head++;
      if (next.settled) continue;
      next.settled = true;
      clearTimeout(next.timer);
      this.queued--;
      this.compact();
      next.start();
      return;
    }
    this.compact();
    this.running--;
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
  }
}
