// DeliverySequencer over MemoryStore with an injected clock and sleep (sleeping moves the clock,
// so nothing really waits): what each `message.sent` event lets the fan-out emit, and in what order.
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { DeliverySequencer } from '../../src/app/delivery-sequencer';
import type { Message } from '../../src/domain/types';
import type { Store } from '../../src/ports';
import { aConversation, aMessage, aUser } from '../support/factories';

const HOLD_MS = 2000;
/** Older than any message the sequencer looks back at when it first sees a conversation. */
const TAKEOVER_AGE_MS = 120_000;

interface Harness {
  store: Store;
  sequencer: DeliverySequencer;
  conversationId: string;
  /** Reserves the next seq of the conversation, as a send does first; returns it. */
  reserve(): Promise<number>;
  /** Writes the message of a reserved seq, as a send does second. */
  write(seq: number): Promise<Message>;
  /** reserve() then write(). */
  send(): Promise<Message>;
  /** Seqs emitted by one admit. */
  admit(seq: number): Promise<number[]>;
  /** Milliseconds the injected clock has moved by sleeping (advance() does not count). */
  elapsed(): number;
  /** Moves the clock without sleeping: time passing between sends. */
  advance(ms: number): void;
  sleeps(): number;
  /** Runs once, at the next sleep (a send finishing while the sequencer waits). */
  onNextSleep(work: () => Promise<unknown>): void;
}

async function harness(): Promise<Harness> {
  const store = createMemoryStore();
  const sender = aUser();
  const conversation = aConversation();
  await store.insertUser(sender);
  await store.insertConversation(conversation);
  const start = Date.parse('2030-01-01T00:00:00.000Z');
  let now = start;
  let skipped = 0;
  let sleeps = 0;
  let pending: (() => Promise<unknown>) | null = null;
  const reservedAt = new Map<number, Date>();
  const sequencer = new DeliverySequencer(
    {
      store,
      clock: () => new Date(now),
      sleep: async (ms) => {
        sleeps++;
        now += ms;
        const work = pending;
        pending = null;
        if (work) await work();
      },
    },
    { holdMs: HOLD_MS },
  );
  const reserve = async (): Promise<number> => {
    const r = await store.reserveMessageSeq(conversation.id, new Date(now), {
      messageId: 'x'.repeat(24),
      content: null,
    });
    if (!r) throw new Error('no conversation');
    reservedAt.set(r.seq, r.at);
    return r.seq;
  };
  const write = async (seq: number): Promise<Message> => {
    const at = reservedAt.get(seq) ?? new Date(now);
    const message = aMessage(conversation.id, sender.id, {
      seq,
      content: `m${seq}`,
      createdAt: at,
    });
    if (!(await store.insertMessage(message))) throw new Error(`seq ${seq} written twice`);
    return message;
  };
  return {
    store,
    sequencer,
    conversationId: conversation.id,
    reserve,
    write,
    send: async () => write(await reserve()),
    admit: async (seq) =>
      (await sequencer.admit(conversation.id, seq)).map((m) => {
        expect(m.conversationId).toBe(conversation.id);
        return m.seq;
      }),
    elapsed: () => now - start - skipped,
    advance: (ms) => {
      now += ms;
      skipped += ms;
    },
    sleeps: () => sleeps,
    onNextSleep: (work) => {
      pending = work;
    },
  };
}

/** Sends `count` messages and admits each event in order (the steady state before a test's twist). */
async function sendInOrder(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const m = await h.send();
    expect(await h.admit(m.seq)).toEqual([m.seq]);
  }
}

describe('DeliverySequencer', () => {
  it('emits each in-order event once, without waiting', async () => {
    const h = await harness();
    for (let seq = 1; seq <= 5; seq++) {
      await h.send();
      expect(await h.admit(seq)).toEqual([seq]);
    }
    expect(h.sleeps()).toBe(0);
  });

  it('emits the stored message itself, with its content', async () => {
    const h = await harness();
    const m = await h.send();
    const [emitted] = await h.sequencer.admit(h.conversationId, m.seq);
    expect(emitted).toMatchObject({ id: m.id, seq: 1, content: 'm1', senderId: m.senderId });
  });

  it('emits nothing for a redelivered event', async () => {
    const h = await harness();
    await sendInOrder(h, 3);
    expect(await h.admit(1)).toEqual([]);
    expect(await h.admit(3)).toEqual([]);
    expect(await h.admit(2)).toEqual([]);
    await h.send();
    expect(await h.admit(4)).toEqual([4]);
    expect(h.sleeps()).toBe(0);
  });

  it('emits a stored message whose event is late before the one that overtook it, and not again', async () => {
    const h = await harness();
    await sendInOrder(h, 8);
    await h.send(); // 9: stored, event not seen yet
    await h.send(); // 10
    expect(await h.admit(10)).toEqual([9, 10]);
    expect(h.sleeps()).toBe(0);
    expect(await h.admit(9)).toEqual([]);
    await h.send();
    expect(await h.admit(11)).toEqual([11]);
  });

  it('waits for a reserved seq still being written and emits it first', async () => {
    const h = await harness();
    await sendInOrder(h, 8);
    const nine = await h.reserve();
    await h.send(); // 10 is written (and published) before 9
    h.onNextSleep(() => h.write(nine));
    expect(await h.admit(10)).toEqual([9, 10]);
    expect(h.sleeps()).toBeGreaterThanOrEqual(1);
    expect(h.elapsed()).toBeLessThan(HOLD_MS);
    // 9's own event, when it comes, is a redelivery of something already emitted.
    expect(await h.admit(9)).toEqual([]);
  });

  it('keeps re-checking while the gap lasts, and emits as soon as it fills', async () => {
    const h = await harness();
    await sendInOrder(h, 2);
    const three = await h.reserve();
    const four = await h.reserve();
    await h.write(await h.reserve()); // 5
    h.onNextSleep(async () => {
      await h.write(four);
      h.onNextSleep(() => h.write(three));
    });
    expect(await h.admit(5)).toEqual([3, 4, 5]);
    expect(h.sleeps()).toBe(2);
    expect(h.elapsed()).toBeLessThan(HOLD_MS);
  });

  it('passes a seq that is never written after holdMs, and still emits it when it turns up late', async () => {
    const h = await harness();
    await sendInOrder(h, 8);
    const nine = await h.reserve();
    await h.send(); // 10
    expect(await h.admit(10)).toEqual([10]);
    expect(h.elapsed()).toBeGreaterThanOrEqual(HOLD_MS);
    const waited = h.elapsed();
    // The gap is settled: later events flow without waiting again.
    await h.send();
    expect(await h.admit(11)).toEqual([11]);
    expect(h.elapsed()).toBe(waited);
    // 9's send was slow, not dead: its event comes after all and must not be dropped.
    await h.write(nine);
    expect(await h.admit(nine)).toEqual([9]);
    expect(await h.admit(nine)).toEqual([]);
  });

  it('passes a trailing run of unwritten seqs after holdMs when the event itself has no message', async () => {
    const h = await harness();
    await sendInOrder(h, 2);
    // An event whose message cannot be read (3 and 4 reserved, never written).
    await h.reserve();
    await h.reserve();
    expect(await h.admit(4)).toEqual([]);
    expect(h.elapsed()).toBeGreaterThanOrEqual(HOLD_MS);
    await h.send(); // 5
    expect(await h.admit(5)).toEqual([5]);
  });

  it('emits every recent message before the first event it sees for a conversation, in order', async () => {
    const h = await harness();
    // This node just started: 1..4 were written moments ago and their events are still on the way.
    for (let i = 0; i < 5; i++) await h.send();
    expect(await h.admit(5)).toEqual([1, 2, 3, 4, 5]);
    for (let seq = 1; seq <= 5; seq++) expect(await h.admit(seq)).toEqual([]);
    expect(h.sleeps()).toBe(0);
  });

  it('emits first, in order, a new conversation’s messages that waited out a broker outage', async () => {
    const h = await harness();
    // 1..3 were deferred to the outbox relay while the broker was down; 4 went straight through
    // once it was back, 15 s later, and is the first event this node sees.
    for (let i = 0; i < 3; i++) await h.send();
    h.advance(15_000);
    await h.send();
    expect(await h.admit(4)).toEqual([1, 2, 3, 4]);
    for (let seq = 1; seq <= 3; seq++) expect(await h.admit(seq)).toEqual([]);
  });

  it('on a takeover, starts after the messages too old to be awaiting emission', async () => {
    const h = await harness();
    for (let i = 0; i < 44; i++) await h.send();
    h.advance(TAKEOVER_AGE_MS); // 1..44 were emitted long ago, by the node that had the partition
    const inFlight = await h.reserve(); // 45: still being written
    for (let i = 0; i < 5; i++) await h.send(); // 46..50
    h.onNextSleep(() => h.write(inFlight));
    expect(await h.admit(50)).toEqual([45, 46, 47, 48, 49, 50]);
    expect(h.elapsed()).toBeLessThan(HOLD_MS);
    expect(await h.admit(44)).toEqual([44]); // an old seq this node never saw: emitted, once
    expect(await h.admit(44)).toEqual([]);
  });

  it('on a takeover, starts at the first event it sees and still emits an earlier seq arriving later', async () => {
    const h = await harness();
    for (let i = 0; i < 49; i++) await h.send();
    // 49's event was retried for a while (or published late by the outbox relay).
    h.advance(TAKEOVER_AGE_MS);
    await h.send(); // 50
    expect(await h.admit(50)).toEqual([50]);
    expect(h.sleeps()).toBe(0);
    expect(await h.admit(49)).toEqual([49]);
    expect(await h.admit(49)).toEqual([]);
    expect(await h.admit(50)).toEqual([]);
    await h.send();
    expect(await h.admit(51)).toEqual([51]);
  });

  // Lowering `floor` to 48 must not mark 49 (never seen by this node) as already emitted.
  it('on a takeover, emits every earlier seq arriving later, whatever their order', async () => {
    const h = await harness();
    for (let i = 0; i < 49; i++) await h.send();
    // 48's and 49's events were stuck (broker outage, retries) while 50 went straight through.
    h.advance(TAKEOVER_AGE_MS);
    await h.send(); // 50
    expect(await h.admit(50)).toEqual([50]);
    // They come back oldest first.
    expect(await h.admit(48)).toEqual([48]);
    expect(await h.admit(49)).toEqual([49]);
    expect(await h.admit(48)).toEqual([]);
    expect(await h.admit(49)).toEqual([]);
  });

  it('tracks each conversation on its own', async () => {
    const h = await harness();
    const other = aConversation();
    const sender = aUser();
    await h.store.insertConversation(other);
    await h.store.insertUser(sender);
    await h.send();
    await h.store.reserveMessageSeq(other.id, new Date(), {
      messageId: 'y'.repeat(24),
      content: null,
    });
    await h.store.insertMessage(aMessage(other.id, sender.id, { seq: 1 }));
    expect(await h.admit(1)).toEqual([1]);
    expect((await h.sequencer.admit(other.id, 1)).map((m) => m.seq)).toEqual([1]);
    expect(await h.admit(1)).toEqual([]);
    expect(h.sleeps()).toBe(0);
  });

  it('after forget(), emits the batch of a retried event again, from the recorded position', async () => {
    const h = await harness();
    await sendInOrder(h, 2);
    h.sequencer.emitted(h.conversationId, 2);
    await h.sequencer.recorded();
    const m = await h.send();
    expect(await h.admit(m.seq)).toEqual([3]);
    // Its frames could not be built (the store failed): the fan-out forgets, the event is retried.
    h.sequencer.forget(h.conversationId);
    expect(await h.admit(m.seq)).toEqual([3]);
    expect(await h.admit(m.seq)).toEqual([]);
  });

  it('loses nothing already passed when the store fails in the middle of an admit', async () => {
    const h = await harness();
    await sendInOrder(h, 2);
    h.sequencer.emitted(h.conversationId, 2);
    await h.sequencer.recorded();
    await h.send(); // 3
    const four = await h.reserve(); // still being written
    await h.send(); // 5
    // 3 is passed, the gap at 4 is waited on, and the next look at the store fails.
    h.onNextSleep(() => {
      jest.spyOn(h.store, 'listMessagesAfter').mockRejectedValueOnce(new Error('store down'));
      return Promise.resolve();
    });
    await expect(h.admit(5)).rejects.toThrow('store down');
    await h.write(four);
    expect(await h.admit(5)).toEqual([3, 4, 5]);
  });

  it("emits an in-order event's own copy of the message without reading the store", async () => {
    const h = await harness();
    await sendInOrder(h, 1);
    const m = await h.send();
    const reads = jest.spyOn(h.store, 'listMessagesAfter');
    expect(await h.sequencer.admit(h.conversationId, m.seq, m)).toEqual([m]);
    expect(reads).not.toHaveBeenCalled();
    // Out of order, the copy is not enough: the gap is read from the store.
    await h.send(); // 3, its event late
    const four = await h.send();
    const batch = await h.sequencer.admit(h.conversationId, four.seq, four);
    expect(batch.map((x) => x.seq)).toEqual([3, 4]);
    expect(reads).toHaveBeenCalled();
  });
});
