// Ordered live delivery: the node that consumes a conversation's partition emits its messages in
// seq order. Events can arrive out of seq order (two nodes reserve 9 and 10, and 10's insert and
// publish finish first), so the sequencer reads the store to fill a gap before passing it, and
// waits a moment for a send still being written; a seq that stays empty that long is a hole.
import type { Message } from '../domain/types';
import type { Clock, EmittedMark, Store } from '../ports';
import { Batcher } from './batcher';

/** Conversations whose position is remembered; the least recently used are forgotten. */
const MAX_TRACKED = 100_000;
/** Seqs passed over as holes that are remembered per conversation, for a late arrival. */
const MAX_HOLES = 64;
/**
 * On a conversation's first event, messages this recent before it may still await emission.
 * Longer than a broker outage the outbox relay bridges: a new conversation's first messages,
 * deferred to the relay while the broker was down (confirm timeout, relay pass), may reach the
 * consumer well over 10 s after they were written and after a later message that went straight
 * through; within this window they are emitted first, in order, rather than late.
 */
const RECENT_MS = 60_000;
/** ...and at most this many of them. */
const LOOK_BACK = 100;
/** How often a gap is looked at again while waiting for a send still being written. */
const RECHECK_MS = 25;

interface Position {
  /** The next seq to emit. */
  next: number;
  /** Seqs below this were never seen by this node (it took the partition over later). */
  floor: number;
  /** True when `floor` came from the stored emitted position: below it, all was emitted. */
  floorEmitted: boolean;
  /** Seqs passed over as holes; a message that turns up for one is emitted late, not dropped. */
  holes: Set<number>;
}

export interface DeliverySequencerOptions {
  /** Longest a gap holds back later messages before it is passed as a hole. @default 2000 */
  holdMs?: number;
}

export class DeliverySequencer {
  private readonly positions = new Map<string, Position>();
  private readonly holdMs: number;
  /** Emitted positions of every conversation, recorded many per store command. */
  private readonly emittedMarks: Batcher<EmittedMark>;
  private readonly recording = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      /** Told of every seq passed over as a hole (for logs and metrics). */
      onHole?: (conversationId: string, seq: number) => void;
      /** Told when recording an emitted position failed (for logs). */
      onRecordFailed?: (err: unknown) => void;
      sleep?: (ms: number) => Promise<void>;
    },
    options: DeliverySequencerOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 2000;
    this.emittedMarks = new Batcher(async (marks) => {
      await deps.store.recordEmittedSeqs(marks);
      return undefined;
    });
  }

  /**
   * The messages to emit now, in seq order, for a `message.sent` of (conversationId, seq): none
   * when it was already emitted (a redelivery), several when it closes a gap. Calls for one
   * conversation must not overlap (the fan-out runs a conversation's events one at a time).
   */
  async admit(conversationId: string, seq: number, carried?: Message): Promise<Message[]> {
    try {
      return await this.admitInOrder(conversationId, seq, carried);
    } catch (err) {
      // Part of a batch may have been passed already: nothing of it was emitted.
      this.forget(conversationId);
      throw err;
    }
  }

  /**
   * Drops what this node remembers of a conversation's position, after a batch admit() returned
   * could not be emitted (the store failed while its frames were built): the event is retried,
   * and its admit then resumes from the emitted position in the store, so the batch goes out
   * again rather than being taken for a redelivery. A few messages may go out twice (clients
   * de-duplicate by id); none is skipped.
   */
  forget(conversationId: string): void {
    this.positions.delete(conversationId);
  }

  /** `carried`: the event's own copy of the message, emitted as is when it is the next one. */
  private async admitInOrder(
    conversationId: string,
    seq: number,
    carried: Message | undefined,
  ): Promise<Message[]> {
    const { store } = this.deps;
    let position = this.positions.get(conversationId);
    if (position) {
      // Most recently used last: the map's first entries are the ones to forget.
      this.positions.delete(conversationId);
    } else {
      const emitted = (await this.deps.store.findConversation(conversationId))?.emittedSeq ?? 0;
      const start = emitted > 0 ? emitted + 1 : await this.firstPosition(conversationId, seq);
      position = { next: start, floor: start, floorEmitted: emitted > 0, holes: new Set() };
    }
    this.remember(conversationId, position);

    if (seq < position.next) {
      const unseen = (seq < position.floor && !position.floorEmitted) || position.holes.delete(seq);
      if (!unseen) return [];
      if (seq < position.floor) {
        // Below where this node started: the seqs between are as unseen as this one.
        for (
          let hole = Math.max(seq + 1, position.floor - MAX_HOLES);
          hole < position.floor;
          hole++
        )
          position.holes.add(hole);
        trimHoles(position);
        position.floor = seq;
      }
      const late = await store.listMessagesAfter(conversationId, seq - 1, 1);
      return late.filter((m) => m.seq === seq);
    }

    if (carried && seq === position.next) {
      // In order, and the event has the message: nothing to read.
      position.next = seq + 1;
      return [carried];
    }

    if (seq > position.next) {
      // A gap, or this node's memory is stale (another node emitted meanwhile, e.g. while it held
      // the partition after a broker restart): never re-emit what the store says went out.
      const emitted = (await this.deps.store.findConversation(conversationId))?.emittedSeq ?? 0;
      if (emitted >= position.next) {
        position.next = emitted + 1;
        position.floor = Math.max(position.floor, position.next);
        position.floorEmitted = true;
      }
      if (seq < position.next) return [];
    }
    const out: Message[] = [];
    const deadline = this.deps.clock().getTime() + this.holdMs;
    for (;;) {
      const rows = await store.listMessagesAfter(
        conversationId,
        position.next - 1,
        seq - position.next + 1,
      );
      let waiting = false;
      for (const m of rows) {
        if (m.seq > position.next) {
          if (this.deps.clock().getTime() < deadline) {
            waiting = true;
            break;
          }
          for (let hole = position.next; hole < m.seq; hole++)
            this.addHole(conversationId, position, hole);
        }
        out.push(m);
        position.next = m.seq + 1;
      }
      if (!waiting && position.next > seq) return out;
      if (!waiting && rows.length === 0) {
        // Nothing stored up to `seq` (the message was removed?): nothing more to wait for.
        if (this.deps.clock().getTime() >= deadline) {
          for (let hole = position.next; hole <= seq; hole++)
            this.addHole(conversationId, position, hole);
          position.next = seq + 1;
          return out;
        }
      }
      await (this.deps.sleep ?? defaultSleep)(RECHECK_MS);
    }
  }

  /**
   * Records that the conversation was emitted up to `seq`, once its frames are out (recorded
   * before emitting, a crash in between would make the next node skip them). A node taking the
   * partition over resumes after it; a crash between emit and record re-emits, never skips.
   * Nothing waits for the record: the marks of every conversation go to the store together,
   * several of one conversation as its highest, and one that fails is only logged (the next
   * record covers it; until then a takeover re-emits a few messages).
   */
  emitted(conversationId: string, seq: number): void {
    const record = this.emittedMarks.add({ conversationId, seq });
    this.recording.add(record);
    record
      .catch((err: unknown) => this.deps.onRecordFailed?.(err))
      .finally(() => this.recording.delete(record));
  }

  /** Resolves once every emitted position handed in so far is recorded (or failed): shutdown. */
  async recorded(): Promise<void> {
    await Promise.allSettled([...this.recording]);
  }

  /**
   * Where to start a conversation this node has not emitted before (it just started, or took the
   * partition over): events can arrive out of seq order, so messages written moments before
   * `seq` — and seqs right above the last older message, still being written — may not have
   * been emitted yet. Starting there keeps them in order; after a takeover a few of them may be
   * emitted twice (clients de-duplicate by id), never skipped.
   */
  private async firstPosition(conversationId: string, seq: number): Promise<number> {
    const earlier = await this.deps.store.listMessagesBefore(conversationId, seq, LOOK_BACK);
    if (earlier.length === 0) return 1;
    const recentSince = this.deps.clock().getTime() - RECENT_MS;
    let start = seq;
    for (const m of earlier) {
      if (m.createdAt.getTime() < recentSince) return Math.min(start, m.seq + 1);
      start = m.seq;
    }
    return start;
  }

  private addHole(conversationId: string, position: Position, seq: number): void {
    this.deps.onHole?.(conversationId, seq);
    position.holes.add(seq);
    trimHoles(position);
  }

  private remember(conversationId: string, position: Position): void {
    this.positions.set(conversationId, position);
    if (this.positions.size > MAX_TRACKED) {
      const oldest = this.positions.keys().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
  }
}

/** Keeps the newest MAX_HOLES: a seq older than those that turns up is treated as a repeat. */
function trimHoles(position: Position): void {
  while (position.holes.size > MAX_HOLES) position.holes.delete(Math.min(...position.holes));
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
