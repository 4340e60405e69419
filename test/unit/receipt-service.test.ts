// ReceiptService.statusReports over MemoryStore: the watermark moves that markSeen / markDelivered
// really publish, turned into the MESSAGE_STATUS frames each sender is owed.
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { ReceiptService, type StatusReport } from '../../src/app/receipt-service';
import type { User } from '../../src/domain/types';
import type { BusEvent, BusPayload } from '../../src/protocol/events';
import type { MessagePublic } from '../../src/protocol/rest';
import type { EventBus } from '../../src/ports';
import { messagingServices } from '../support/app-services';
import { aUser } from '../support/factories';

type Move = BusPayload<'message.seen'> | BusPayload<'message.delivered'>;

function world() {
  const store = createMemoryStore();
  let now = Date.parse('2030-01-01T00:00:00.000Z');
  const clock = (): Date => new Date(now++);
  const published: BusEvent[] = [];
  // Keeps what is published; nothing consumes it (the test hands moves to statusReports itself).
  const bus: EventBus = {
    publish: (event) => {
      published.push(event);
      return Promise.resolve();
    },
    subscribe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const { messages, conversations } = messagingServices(store, clock, bus);
  const receipts = new ReceiptService({ store, bus, clock });

  /** The moves of `key` published since `mark` (an index into `published`). */
  const movesSince = (mark: number, key: 'message.seen' | 'message.delivered'): Move[] =>
    published
      .slice(mark)
      .filter((e) => e.key === key)
      .map((e) => e.payload as Move);

  return {
    store,
    messages,
    receipts,
    movesSince,
    async user(): Promise<User> {
      const u = aUser();
      await store.insertUser(u);
      return u;
    },
    async group(creator: User, ...members: User[]): Promise<string> {
      const { conversation } = await conversations.create(creator.id, {
        type: 'GROUP',
        name: 'g',
        participantIds: members.map((m) => m.id),
      });
      return conversation.id;
    },
    async direct(a: User, b: User): Promise<string> {
      const { conversation } = await conversations.create(a.id, {
        type: 'DIRECT',
        participantIds: [b.id],
      });
      return conversation.id;
    },
    async send(from: User, conversationId: string, content = 'hi'): Promise<MessagePublic> {
      return (await messages.send(from, conversationId, { content })).message;
    },
    /** markSeen, returning the one seen move and the delivered move (if any) it published. */
    async seen(reader: User, conversationId: string, messageId?: string) {
      const mark = published.length;
      await receipts.markSeen(reader.id, conversationId, messageId);
      const [seen, ...moreSeen] = movesSince(mark, 'message.seen');
      expect(moreSeen).toEqual([]);
      if (!seen) throw new Error('markSeen published no seen move');
      return { seen, delivered: movesSince(mark, 'message.delivered')[0] };
    },
    async delivered(reader: User, conversationId: string, messageId: string): Promise<Move> {
      const mark = published.length;
      await receipts.markDelivered(reader.id, conversationId, messageId);
      const [move] = movesSince(mark, 'message.delivered');
      if (!move) throw new Error('markDelivered published no move');
      return move;
    },
  };
}

const ids = (reports: StatusReport[]): string[] => reports.map((r) => r.frame.messageId);

describe('ReceiptService.statusReports', () => {
  it('reports SEEN for exactly the messages in (previous_seq, seq] of a seen move', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    const sent: MessagePublic[] = [];
    for (let i = 0; i < 5; i++) sent.push(await w.send(alice, c));
    const [m1, m2, m3, m4] = sent as [MessagePublic, MessagePublic, MessagePublic, MessagePublic];

    const first = await w.seen(bob, c, m2.id);
    expect(first.seen).toMatchObject({ seq: 2, previous_seq: null, user_id: bob.id });
    expect(await w.receipts.statusReports(first.seen, 'SEEN')).toEqual([
      { senderId: alice.id, frame: { messageId: m1.id, conversationId: c, status: 'SEEN' } },
      { senderId: alice.id, frame: { messageId: m2.id, conversationId: c, status: 'SEEN' } },
    ]);

    const second = await w.seen(bob, c, m4.id);
    expect(second.seen).toMatchObject({ seq: 4, previous_seq: 2 });
    expect(ids(await w.receipts.statusReports(second.seen, 'SEEN'))).toEqual([m3.id, m4.id]);
  });

  it('reports nothing at a level the messages are not at', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    const m1 = await w.send(alice, c);
    const m2 = await w.send(alice, c);
    // Delivered only: DELIVERED is due, SEEN is not.
    const delivered = await w.delivered(bob, c, m2.id);
    expect(delivered).toMatchObject({ seq: 2, previous_seq: null });
    expect(ids(await w.receipts.statusReports(delivered, 'DELIVERED'))).toEqual([m1.id, m2.id]);
    expect(await w.receipts.statusReports(delivered, 'SEEN')).toEqual([]);
    // Seeing moves delivered with it: m3 goes straight to SEEN, so the delivered part of that move
    // owes no DELIVERED report; the seen part covers everything bob had not seen (m1..m3).
    const m3 = await w.send(alice, c);
    const seen = await w.seen(bob, c, m3.id);
    if (!seen.delivered) throw new Error('markSeen did not move delivered');
    expect(seen.delivered).toMatchObject({ seq: 3, previous_seq: 2 });
    expect(await w.receipts.statusReports(seen.delivered, 'DELIVERED')).toEqual([]);
    expect(seen.seen).toMatchObject({ seq: 3, previous_seq: null });
    expect(ids(await w.receipts.statusReports(seen.seen, 'SEEN'))).toEqual([m1.id, m2.id, m3.id]);
  });

  it('skips the mover’s own messages and deleted ones, and reports to each message’s sender', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.user(), await w.user(), await w.user()];
    const c = await w.group(alice, bob, carol);
    const a1 = await w.send(alice, c);
    await w.send(bob, c);
    const c3 = await w.send(carol, c);
    const a4 = await w.send(alice, c);
    await w.messages.remove(alice.id, c, a4.id);
    await w.send(bob, c);
    const a6 = await w.send(alice, c);
    // alice and carol have seen everything already, so bob's move is the one that makes it SEEN.
    await w.seen(alice, c, a6.id);
    await w.seen(carol, c, a6.id);
    const { seen } = await w.seen(bob, c, a6.id);
    expect(await w.receipts.statusReports(seen, 'SEEN')).toEqual([
      { senderId: alice.id, frame: { messageId: a1.id, conversationId: c, status: 'SEEN' } },
      { senderId: carol.id, frame: { messageId: c3.id, conversationId: c, status: 'SEEN' } },
      { senderId: alice.id, frame: { messageId: a6.id, conversationId: c, status: 'SEEN' } },
    ]);
  });

  it('in a group, reports SEEN only once every recipient has seen', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.user(), await w.user(), await w.user()];
    const c = await w.group(alice, bob, carol);
    const sent = [await w.send(alice, c), await w.send(alice, c), await w.send(alice, c)];
    const last = sent[2] as MessagePublic;
    await w.delivered(carol, c, last.id);

    const bobSees = await w.seen(bob, c, last.id);
    expect(await w.receipts.statusReports(bobSees.seen, 'SEEN')).toEqual([]);
    // bob seeing makes every recipient have it: DELIVERED (carol's device has it, bob saw it).
    if (!bobSees.delivered) throw new Error('markSeen did not move delivered');
    expect(ids(await w.receipts.statusReports(bobSees.delivered, 'DELIVERED'))).toEqual(
      sent.map((m) => m.id),
    );

    const carolSees = await w.seen(carol, c, last.id);
    expect(carolSees.delivered).toBeUndefined();
    expect(ids(await w.receipts.statusReports(carolSees.seen, 'SEEN'))).toEqual(
      sent.map((m) => m.id),
    );
  });

  it('stops at the move’s seq even when a hole inside the range lets the read run past it', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.send(alice, c);
    const m2 = await w.send(alice, c);
    // seq 3 is reserved by a send that never wrote its message
    await w.store.reserveMessageSeq(c, new Date(), { messageId: m2.id, content: null });
    const m4 = await w.send(alice, c);
    await w.send(alice, c);
    const { seen } = await w.seen(bob, c); // bob has seen all of it
    const partial: Move = { ...seen, previous_seq: 1, seq: 4, message_id: m4.id };
    expect(ids(await w.receipts.statusReports(partial, 'SEEN'))).toEqual([m2.id, m4.id]);
  });

  it('caps one move at the newest 100 reports', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    const sent: MessagePublic[] = [];
    for (let i = 0; i < 150; i++) sent.push(await w.send(alice, c));
    const { seen } = await w.seen(bob, c); // no id: the latest
    expect(seen).toMatchObject({ seq: 150, previous_seq: null });
    const reports = await w.receipts.statusReports(seen, 'SEEN');
    expect(reports).toHaveLength(100);
    expect(ids(reports)).toEqual(sent.slice(50).map((m) => m.id));
  });
});

describe('ReceiptService.acknowledgeDelivered', () => {
  it('coalesces acknowledgements arriving while a move is written: one more write, to the highest', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const group = await w.group(alice, bob);
    const sent: MessagePublic[] = [];
    for (let i = 0; i < 4; i++) sent.push(await w.send(alice, group, `m${i}`));
    const original = w.store.advanceWatermark.bind(w.store);
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const writes = jest.spyOn(w.store, 'advanceWatermark').mockImplementation(async (...args) => {
      const result = await original(...args);
      if (writes.mock.calls.length === 2) setImmediate(resolveDone);
      return result;
    });
    const failures: unknown[] = [];
    const ack = (i: number) => {
      const m = sent[i]!;
      w.receipts.acknowledgeDelivered(
        bob.id,
        group,
        { messageId: m.id, seq: m.seq, senderId: alice.id },
        (err) => failures.push(err),
      );
    };
    ack(0); // written at once
    ack(2); // these wait for it, and only the highest is written
    ack(1);
    ack(3);
    await done;
    expect(writes.mock.calls.map((c) => c[3].seq)).toEqual([sent[0]!.seq, sent[3]!.seq]);
    expect(failures).toEqual([]);
    expect((await w.store.findParticipant(group, bob.id))?.delivered?.seq).toBe(sent[3]!.seq);
    expect(w.movesSince(0, 'message.delivered').map((m) => m.seq)).toEqual([
      sent[0]!.seq,
      sent[3]!.seq,
    ]);
  });
});

describe('ReceiptService.statusReports in a DIRECT conversation', () => {
  /** The same move without its `direct` flag: what reading every participant would report. */
  const general = (move: Move): Move => ({ ...move, direct: undefined });

  it('reports from the move alone, the same statuses as a recount over the participants', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const dm = await w.direct(alice, bob);
    const a1 = await w.send(alice, dm);
    await w.send(bob, dm);
    const a3 = await w.send(alice, dm);
    const a4 = await w.send(alice, dm);
    await w.messages.remove(alice.id, dm, a4.id);
    const a5 = await w.send(alice, dm);
    const listParticipants = jest.spyOn(w.store, 'listParticipants');

    const delivered = await w.delivered(bob, dm, a3.id);
    expect(delivered).toMatchObject({ direct: true, seq: a3.seq });
    const direct = await w.receipts.statusReports(delivered, 'DELIVERED');
    expect(ids(direct)).toEqual([a1.id, a3.id]);
    expect(direct.every((r) => r.senderId === alice.id && r.frame.status === 'DELIVERED')).toBe(
      true,
    );
    expect(listParticipants).not.toHaveBeenCalled();
    expect(await w.receipts.statusReports(general(delivered), 'DELIVERED')).toEqual(direct);

    // Seeing a5 moves delivered with it: that part reports nothing, the seen part SEEN for all.
    const seen = await w.seen(bob, dm, a5.id);
    if (!seen.delivered) throw new Error('markSeen did not move delivered');
    expect(seen.delivered).toMatchObject({ direct: true, with_seen: true });
    expect(await w.receipts.statusReports(seen.delivered, 'DELIVERED')).toEqual([]);
    expect(await w.receipts.statusReports(general(seen.delivered), 'DELIVERED')).toEqual([]);
    expect(seen.seen).toMatchObject({ direct: true });
    listParticipants.mockClear();
    const seenReports = await w.receipts.statusReports(seen.seen, 'SEEN');
    expect(ids(seenReports)).toEqual([a1.id, a3.id, a5.id]);
    expect(listParticipants).not.toHaveBeenCalled();
    expect(await w.receipts.statusReports(general(seen.seen), 'SEEN')).toEqual(seenReports);
  });

  it('marks a realtime acknowledgement direct from the ids alone, and a group one not', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const dm = await w.direct(alice, bob);
    const group = await w.group(alice, bob);
    const inDm = await w.send(alice, dm);
    const inGroup = await w.send(alice, group);
    let written = 0;
    const both = new Promise<void>((resolve) => {
      const original = w.store.advanceWatermark.bind(w.store);
      jest.spyOn(w.store, 'advanceWatermark').mockImplementation(async (...args) => {
        const result = await original(...args);
        if (++written === 2) setImmediate(resolve);
        return result;
      });
    });
    const failures: unknown[] = [];
    for (const [c, m] of [
      [dm, inDm],
      [group, inGroup],
    ] as const)
      w.receipts.acknowledgeDelivered(
        bob.id,
        c,
        { messageId: m.id, seq: m.seq, senderId: alice.id },
        (err) => failures.push(err),
      );
    await both;
    expect(failures).toEqual([]);
    const moves = w.movesSince(0, 'message.delivered');
    expect(moves.find((m) => m.conversation_id === dm)).toMatchObject({ direct: true });
    expect(moves.find((m) => m.conversation_id === group)).toMatchObject({ direct: false });
  });
});

describe('ReceiptService.markDelivered', () => {
  /** Counts the store's reads (its find / list / count methods) from now on. */
  const countReads = (store: object): (() => number) => {
    const spies = Object.keys(store)
      .filter((name) => /^(find|list|count)/.test(name))
      .map((name) => jest.spyOn(store as Record<string, () => unknown>, name));
    return () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
  };

  /** The fan-out emitted the message (as it notes it for the receipts). */
  const emitted = async (w: ReturnType<typeof world>, conversationId: string, id: string) => {
    const message = await w.store.findMessage(id);
    if (!message) throw new Error(`no message ${id}`);
    w.receipts.noteEmitted(conversationId, [message]);
  };

  it('reads nothing for a DIRECT message the fan-out just emitted, and moves as a read would', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const dm = await w.direct(alice, bob);
    const m1 = await w.send(alice, dm);
    const m2 = await w.send(alice, dm);
    await emitted(w, dm, m1.id);
    await emitted(w, dm, m2.id);
    const reads = countReads(w.store);

    expect(await w.delivered(bob, dm, m1.id)).toMatchObject({
      direct: true,
      seq: m1.seq,
      message_id: m1.id,
      previous_seq: null,
    });
    expect(await w.delivered(bob, dm, m2.id)).toMatchObject({
      seq: m2.seq,
      previous_seq: m1.seq,
    });
    // An older one again: no move, as before.
    expect(await w.receipts.markDelivered(bob.id, dm, m1.id)).toBe(false);
    expect(reads()).toBe(0);
  });

  it('still checks what the recent messages cannot vouch for', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.user(), await w.user(), await w.user()];
    const dm = await w.direct(alice, bob);
    const other = await w.direct(alice, carol);
    const group = await w.group(alice, bob);
    const inDm = await w.send(alice, dm);
    const inGroup = await w.send(alice, group);
    const own = await w.send(bob, dm);
    for (const [c, m] of [
      [dm, inDm],
      [group, inGroup],
      [dm, own],
    ] as const)
      await emitted(w, c, m.id);
    const reads = countReads(w.store);

    // Not a participant of the pair's DIRECT; a message named under another conversation.
    await expect(w.receipts.markDelivered(carol.id, dm, inDm.id)).rejects.toMatchObject({
      code: 'NOT_PARTICIPANT',
    });
    await expect(w.receipts.markDelivered(carol.id, other, inDm.id)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(reads()).toBeGreaterThan(0);
    // A group's membership can change, and one's own message is not the pair's evidence.
    for (const [c, m] of [
      [group, inGroup],
      [dm, own],
    ] as const) {
      const before = reads();
      await w.receipts.markDelivered(bob.id, c, m.id);
      expect(reads()).toBeGreaterThan(before);
    }
  });
});
