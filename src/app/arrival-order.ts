// Arrival order: `message.sent` events of one conversation put back in seq order before they are
// handled. Two nodes appending to one conversation publish in the order their appends returned,
// not in seq order, so the consumer often receives seq 10 a moment before seq 9. Handled as it
// comes, 10 opens a gap the sequencer fills by reading the store (the conversation's emitted
// position and the missing message), and 9 is then a repeat. Held here instead, 10 waits for 9's
// own event, which carries its message: no read. The hold is long next to the usual skew (on a
// saturated pair of nodes the two publishes are often more than 25 ms apart, and at 25 ms one
// delivered message in ten cost a gap's four reads), since it only runs out when 9's publish was
// lost: then 10 is late by the hold, which the sequencer's own 2 s wait for a send being written
// dwarfs anyway. A seq whose event
// does not come within the hold (its publish failed and waits for the outbox relay, or it is a
// hole) releases what waits behind it, and the sequencer fills the gap from the store as before.
//
// Only the order events are handed on in changes: each is still handled, and acknowledged, after
// its handling finishes, so nothing is lost if the node stops while one is held.

/** Conversations whose next expected seq is remembered; the least recently used are forgotten. */
const MAX_TRACKED = 100_000;
/** Events held per conversation at most; one more releases them all. */
const MAX_HELD = 256;

export interface ArrivalOrderOptions {
  /** Longest an event waits for the ones before it. @default 500 */
  holdMs?: number;
  setTimer?: (run: () => void, ms: number) => { cancel(): void };
}

interface Held {
  start: () => void;
}

interface Waiting {
  /** By seq. */
  held: Map<number, Held>;
  timer: { cancel(): void };
}

/**
 * The hold's timer. When it fires, the release waits one more turn of the event loop for I/O:
 * on a busy node the timer can come due while the missing event already sits in the broker
 * socket's unread data, and the loop runs timers before it reads sockets.
 */
const defaultTimer = (run: () => void, ms: number): { cancel(): void } => {
  let immediate: NodeJS.Immediate | null = null;
  const t = setTimeout(() => {
    immediate = setImmediate(run);
  }, ms);
  t.unref();
  return {
    cancel: () => {
      clearTimeout(t);
      if (immediate) clearImmediate(immediate);
    },
  };
};

export class ArrivalOrder {
  /** Per conversation, the seq after the last one handed on. */
  private readonly next = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly holdMs: number;
  private readonly setTimer: NonNullable<ArrivalOrderOptions['setTimer']>;

  constructor(options: ArrivalOrderOptions = {}) {
    this.holdMs = options.holdMs ?? 500;
    this.setTimer = options.setTimer ?? defaultTimer;
  }

  /** Events held now, over every conversation (for tests and metrics). */
  get holding(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.held.size;
    return n;
  }

  /**
   * Hands `run` on (calls it) when seq `seq` of the conversation is next, or is older than next,
   * or has waited the hold out; resolves or rejects with what `run` does.
   */
  admit<T>(conversationId: string, seq: number, run: () => Promise<T>): Promise<T> {
    const next = this.next.get(conversationId);
    const waiting = this.waiting.get(conversationId);
    if (next === undefined || seq === next) {
      this.advance(conversationId, seq + 1);
      const result = run();
      if (waiting) this.releaseConsecutive(conversationId, waiting);
      return result;
    }
    if (seq < next || waiting?.held.has(seq)) return run();
    // A gap before it: wait for the seqs in between.
    return new Promise<T>((resolve, reject) => {
      const held: Held = {
        start: () => {
          run().then(resolve, reject);
        },
      };
      if (waiting) {
        waiting.held.set(seq, held);
        if (waiting.held.size > MAX_HELD) this.releaseAll(conversationId, waiting);
        return;
      }
      const created: Waiting = {
        held: new Map([[seq, held]]),
        timer: this.setTimer(() => {
          if (this.waiting.get(conversationId) === created)
            this.releaseAll(conversationId, created);
        }, this.holdMs),
      };
      this.waiting.set(conversationId, created);
    });
  }

  /** Hands on the held events that are now next, one after the other. */
  private releaseConsecutive(conversationId: string, waiting: Waiting): void {
    let next = this.next.get(conversationId) ?? 0;
    for (let held = waiting.held.get(next); held; held = waiting.held.get(next)) {
      waiting.held.delete(next);
      next += 1;
      this.advance(conversationId, next);
      held.start();
    }
    if (waiting.held.size === 0) {
      waiting.timer.cancel();
      this.waiting.delete(conversationId);
    }
  }

  /** The hold is out (or too much waits): hand everything on in seq order, past the gaps. */
  private releaseAll(conversationId: string, waiting: Waiting): void {
    waiting.timer.cancel();
    this.waiting.delete(conversationId);
    const held = [...waiting.held].sort(([a], [b]) => a - b);
    const last = held[held.length - 1];
    if (last) this.advance(conversationId, last[0] + 1);
    for (const [, h] of held) h.start();
  }

  private advance(conversationId: string, next: number): void {
    const known = this.next.get(conversationId);
    if (known !== undefined) this.next.delete(conversationId);
    this.next.set(conversationId, Math.max(next, known ?? 0));
    if (this.next.size > MAX_TRACKED) {
      const oldest = this.next.keys().next().value;
      if (oldest !== undefined && !this.waiting.has(oldest)) this.next.delete(oldest);
    }
  }
}
