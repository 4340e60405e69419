// SyncService over MemoryStore, with the real MessageService and ConversationService and a clock
// the test moves: exact catch-up by positions and cursors, holes, paging, edits and membership.
import { createMemoryStore } from '../../src/adapters/store/memory/memory-store';
import { HOLE_GRACE_MS, SyncService, type SyncRequest } from '../../src/app/sync-service';
import { AppError } from '../../src/domain/errors';
import { newObjectId } from '../../src/domain/ids';
import type { User } from '../../src/domain/types';
import type { Store } from '../../src/ports';
import type { MessagePublic, SyncResult } from '../../src/protocol/rest';
import { messagingServices } from '../support/app-services';
import { aMessage, aParticipant, aUser } from '../support/factories';

type Event = SyncResult['events'][number] & Record<string, unknown>;

const DAY_MS = 24 * 3600 * 1000;
/** More pages than any scenario here needs: a SYNC that needs more is not making progress. */
const MAX_PAGES = 50;

/**
 * Jest runs tests in a separate realm, and MemoryStore copies records with the outer realm's
 * structuredClone, so its Dates fail `instanceof Date` here though they pass in production.
 * Rebuilding them in this realm makes the services see what they see in a real process.
 */
function withLocalDates(store: Store): Store {
  const revive = (value: unknown): unknown => {
    if (Object.prototype.toString.call(value) === '[object Date]') {
      return new Date((value as Date).getTime());
    }
    if (Array.isArray(value)) return value.map(revive);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
    }
    return value;
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      const member: unknown = Reflect.get(target, key, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) =>
        revive(await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

function world() {
  const store = withLocalDates(createMemoryStore());
  let now = Date.parse('2030-01-01T00:00:00.000Z');
  const clock = (): Date => new Date(now);
  const { messages, conversations } = messagingServices(store, clock);
  const sync = new SyncService({ store, messages, clock });

  const w = {
    store,
    messages,
    conversations,
    sync,
    tick: (ms = 1): void => {
      now += ms;
    },
    clock,
    async user(): Promise<User> {
      const u = aUser({ createdAt: clock() });
      await store.insertUser(u);
      return u;
    },
    /** A GROUP created by the first user (its ADMIN) with the others as members. */
    async group(creator: User, ...members: User[]): Promise<string> {
      const { conversation } = await conversations.create(creator.id, {
        type: 'GROUP',
        name: 'g',
        participantIds: members.map((m) => m.id),
      });
      w.tick();
      return conversation.id;
    },
    async send(from: User, conversationId: string, content = 'hi'): Promise<MessagePublic> {
      const { message } = await messages.send(from, conversationId, { content });
      w.tick();
      return message;
    },
    async sendMany(from: User, conversationId: string, count: number): Promise<MessagePublic[]> {
      const sent: MessagePublic[] = [];
      for (let i = 0; i < count; i++) sent.push(await w.send(from, conversationId, `m${i}`));
      return sent;
    },
    /** Takes the next seq without writing a message: a send in flight, or one that crashed. */
    async reserve(conversationId: string): Promise<{ seq: number; at: Date }> {
      const reserved = await store.reserveMessageSeq(conversationId, clock(), {
        messageId: newObjectId(clock()),
        content: 'in flight',
      });
      if (!reserved) throw new Error('no such conversation');
      w.tick();
      return reserved;
    },
    /** Finishes a reserved send: writes its message. */
    async write(conversationId: string, sender: User, r: { seq: number; at: Date }) {
      const m = aMessage(conversationId, sender.id, {
        id: newObjectId(r.at),
        seq: r.seq,
        content: `late ${r.seq}`,
        createdAt: r.at,
      });
      expect(await store.insertMessage(m)).toBe(true);
      return m;
    },
    /** SYNC pages (from `first`, then next_cursor) until has_more is false. */
    async syncAll(
      userId: string,
      first: SyncRequest,
    ): Promise<{ pages: SyncResult[]; events: Event[]; cursor: string }> {
      const pages: SyncResult[] = [await sync.sync(userId, first)];
      for (;;) {
        const last = pages[pages.length - 1] as SyncResult;
        if (!last.has_more) break;
        if (pages.length >= MAX_PAGES) {
          throw new Error(`SYNC still had has_more=true after ${MAX_PAGES} pages`);
        }
        pages.push(await sync.sync(userId, { since: last.next_cursor, limit: first.limit }));
      }
      const cursor = pages[pages.length - 1]?.next_cursor;
      if (!cursor) throw new Error('no next_cursor');
      return { pages, events: pages.flatMap((p) => p.events as Event[]), cursor };
    },
  };
  return w;
}

const ofType = (events: readonly unknown[], type: string, conversationId?: string): Event[] =>
  (events as Event[]).filter(
    (e) => e.type === type && (conversationId === undefined || e.conversationId === conversationId),
  );
/** The seqs of the NEW_MESSAGE events of one conversation, in event order. */
const newSeqs = (events: readonly unknown[], conversationId: string): number[] =>
  ofType(events, 'NEW_MESSAGE', conversationId).map((e) => e.seq as number);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('SyncService: positions and paging', () => {
  it('returns exactly the messages after the given positions, per conversation in seq order', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const a = await w.group(alice, bob);
    const b = await w.group(bob, alice);
    const sentA = await w.sendMany(alice, a, 6);
    await w.sendMany(bob, b, 3);
    const result = await w.sync.sync(bob.id, { positions: { [a]: 2, [b]: 3 } });
    expect(newSeqs(result.events, a)).toEqual([3, 4, 5, 6]);
    expect(newSeqs(result.events, b)).toEqual([]);
    expect(ofType(result.events, 'NEW_MESSAGE', a)[0]).toMatchObject({
      type: 'NEW_MESSAGE',
      conversationId: a,
      messageId: sentA[2]?.id,
      senderId: alice.id,
      content: 'm2',
      seq: 3,
    });
    expect(ofType(result.events, 'SEQ_GAP')).toEqual([]);
    expect(result.has_more).toBe(false);
    expect(result.next_cursor).toEqual(expect.any(String));
  });

  it('pages with limit until has_more is false, skipping and repeating no message', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const convs = [await w.group(alice, bob), await w.group(alice, bob), await w.group(bob, alice)];
    // Interleaved, so activity order and seq order differ between conversations.
    for (let i = 0; i < 20; i++) {
      for (const c of convs) await w.send(i % 2 ? alice : bob, c, `${c}:${i}`);
    }
    const { pages, events } = await w.syncAll(bob.id, { positions: {}, limit: 7 });
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(60 / 7));
    for (const page of pages)
      expect(ofType(page.events, 'NEW_MESSAGE').length).toBeLessThanOrEqual(7);
    for (const c of convs) expect(newSeqs(events, c)).toEqual(range(1, 20));
    const ids = ofType(events, 'NEW_MESSAGE').map((e) => e.messageId);
    expect(new Set(ids).size).toBe(60);
  });
});

describe('SyncService: holes', () => {
  it('stops before a reserved seq within the grace period, then reports it once as SEQ_GAP and passes it', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 2);
    await w.reserve(c); // 3: a send that crashed after reserving
    await w.sendMany(alice, c, 2); // 4, 5

    const first = await w.sync.sync(bob.id, { positions: { [c]: 0 } });
    expect(newSeqs(first.events, c)).toEqual([1, 2]);
    expect(ofType(first.events, 'SEQ_GAP')).toEqual([]);
    // The cursor did not pass the gap: nothing beyond it yet, and nothing repeated.
    const still = await w.sync.sync(bob.id, { since: first.next_cursor });
    expect(newSeqs(still.events, c)).toEqual([]);
    expect(ofType(still.events, 'SEQ_GAP')).toEqual([]);

    w.tick(HOLE_GRACE_MS + 10);
    const settled = await w.sync.sync(bob.id, { since: still.next_cursor });
    const gapAndNew = (settled.events as Event[]).filter(
      (e) => e.type === 'SEQ_GAP' || e.type === 'NEW_MESSAGE',
    );
    expect(gapAndNew.map((e) => [e.type, e.seq ?? e.fromSeq])).toEqual([
      ['SEQ_GAP', 3],
      ['NEW_MESSAGE', 4],
      ['NEW_MESSAGE', 5],
    ]);
    expect(ofType(settled.events, 'SEQ_GAP')).toEqual([
      { type: 'SEQ_GAP', conversationId: c, fromSeq: 3, toSeq: 3 },
    ]);
    const after = await w.sync.sync(bob.id, { since: settled.next_cursor });
    expect(ofType(after.events, 'SEQ_GAP')).toEqual([]);
    expect(newSeqs(after.events, c)).toEqual([]);
  });

  it('returns a send that finishes within the grace period in its place, with no gap', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 2);
    const slow = await w.reserve(c);
    await w.sendMany(alice, c, 1); // 4
    const first = await w.sync.sync(bob.id, { positions: { [c]: 0 } });
    expect(newSeqs(first.events, c)).toEqual([1, 2]);
    await w.write(c, alice, slow);
    const next = await w.sync.sync(bob.id, { since: first.next_cursor });
    expect(newSeqs(next.events, c)).toEqual([3, 4]);
    expect(ofType(next.events, 'SEQ_GAP')).toEqual([]);
  });

  it('reports a run of holes as one SEQ_GAP', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 1);
    await w.reserve(c);
    await w.reserve(c);
    await w.reserve(c);
    await w.sendMany(alice, c, 1); // 5
    w.tick(HOLE_GRACE_MS + 10);
    const result = await w.sync.sync(bob.id, { positions: { [c]: 0 } });
    expect(newSeqs(result.events, c)).toEqual([1, 5]);
    expect(ofType(result.events, 'SEQ_GAP')).toEqual([
      { type: 'SEQ_GAP', conversationId: c, fromSeq: 2, toSeq: 4 },
    ]);
  });

  it('treats a trailing reservation the same way: waits within the grace, then one SEQ_GAP', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 2);
    await w.reserve(c); // 3, the last seq handed out, never written

    const first = await w.sync.sync(bob.id, { positions: { [c]: 0 } });
    expect(newSeqs(first.events, c)).toEqual([1, 2]);
    expect(ofType(first.events, 'SEQ_GAP')).toEqual([]);
    w.tick(HOLE_GRACE_MS + 10);
    const settled = await w.sync.sync(bob.id, { since: first.next_cursor });
    expect(ofType(settled.events, 'SEQ_GAP')).toEqual([
      { type: 'SEQ_GAP', conversationId: c, fromSeq: 3, toSeq: 3 },
    ]);
    expect(newSeqs(settled.events, c)).toEqual([]);
    const again = await w.sync.sync(bob.id, { since: settled.next_cursor });
    expect(ofType(again.events, 'SEQ_GAP')).toEqual([]);
    await w.send(alice, c);
    const later = await w.sync.sync(bob.id, { since: again.next_cursor });
    expect(newSeqs(later.events, c)).toEqual([4]);
    expect(ofType(later.events, 'SEQ_GAP')).toEqual([]);
  });
});

describe('SyncService: cursors', () => {
  it('resumes exactly from next_cursor: no NEW_MESSAGE repeated, none missed', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 3);
    const first = await w.sync.sync(bob.id, {});
    expect(newSeqs(first.events, c)).toEqual([1, 2, 3]);
    await w.sendMany(alice, c, 2);
    const second = await w.sync.sync(bob.id, { since: first.next_cursor });
    expect(newSeqs(second.events, c)).toEqual([4, 5]);
    const third = await w.sync.sync(bob.id, { since: second.next_cursor });
    expect(newSeqs(third.events, c)).toEqual([]);
    // A cursor is a position, not a ticket: the earlier one still answers the same.
    const replay = await w.sync.sync(bob.id, { since: first.next_cursor });
    expect(newSeqs(replay.events, c)).toEqual([4, 5]);
  });

  it('refuses an unknown, malformed, expired or another user’s cursor with VALIDATION', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    await w.group(alice, bob);
    const alices = await w.sync.cursorNow(alice.id);
    const bobs = await w.sync.cursorNow(bob.id);
    const refused = async (since: string): Promise<void> => {
      const attempt = w.sync.sync(bob.id, { since });
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION' });
    };
    await refused(newObjectId(w.clock()));
    await refused('garbage');
    await refused(`${bobs}x`);
    await refused(alices);
    // Still good a day later; long past its lifetime it is gone.
    w.tick(DAY_MS);
    await expect(w.sync.sync(bob.id, { since: bobs })).resolves.toMatchObject({ has_more: false });
    w.tick(365 * DAY_MS);
    await refused(bobs);
  });

  it('lets positions override the cursor for the conversations they name', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const a = await w.group(alice, bob);
    const b = await w.group(alice, bob);
    await w.sendMany(alice, a, 5);
    await w.sendMany(alice, b, 3);
    const { cursor } = await w.syncAll(bob.id, {});
    await w.send(alice, a);
    await w.send(alice, b);
    const result = await w.sync.sync(bob.id, { since: cursor, positions: { [a]: 2 } });
    expect(newSeqs(result.events, a)).toEqual([3, 4, 5, 6]);
    expect(newSeqs(result.events, b)).toEqual([4]);
  });

  it('cursorNow resumes from the moment it was issued', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 3);
    const cursor = await w.sync.cursorNow(bob.id);
    await w.sendMany(alice, c, 2);
    const result = await w.sync.sync(bob.id, { since: cursor });
    expect(newSeqs(result.events, c)).toEqual([4, 5]);
  });

  // cursorNow must not claim seqs reserved by sends not yet written.
  it('cursorNow does not skip a send that had reserved its seq but not yet written it', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    await w.sendMany(alice, c, 3);
    const inFlight = await w.reserve(c); // 4: alice's send is between reserving and writing
    const cursor = await w.sync.cursorNow(bob.id); // bob connects now...
    await w.write(c, alice, inFlight); // ...the send completes (bob may be gone before its fan-out)
    await w.send(alice, c); // 5
    const result = await w.sync.sync(bob.id, { since: cursor });
    expect(newSeqs(result.events, c)).toEqual([4, 5]);
  });
});

describe('SyncService: changes to what the client had', () => {
  it('reports edits and deletions of held messages as MESSAGE_UPDATED / MESSAGE_DELETED', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const c = await w.group(alice, bob);
    const sent = await w.sendMany(alice, c, 3);
    const [m1, m2, m3] = sent as [MessagePublic, MessagePublic, MessagePublic];
    const { cursor } = await w.syncAll(bob.id, {});
    w.tick(5000);
    await w.messages.edit(alice.id, c, m2.id, 'edited');
    await w.messages.remove(alice.id, c, m3.id);
    // A message bob never had comes as NEW_MESSAGE with its current content, not as an edit.
    const m4 = await w.send(alice, c, 'first draft');
    await w.messages.edit(alice.id, c, m4.id, 'final');

    const { events } = await w.syncAll(bob.id, { since: cursor });
    expect(newSeqs(events, c)).toEqual([4]);
    expect(ofType(events, 'NEW_MESSAGE', c)[0]).toMatchObject({
      messageId: m4.id,
      content: 'final',
    });
    expect(ofType(events, 'MESSAGE_UPDATED')).toEqual([
      expect.objectContaining({
        type: 'MESSAGE_UPDATED',
        conversationId: c,
        messageId: m2.id,
        content: 'edited',
        updatedAt: expect.any(String),
      }),
    ]);
    expect(ofType(events, 'MESSAGE_DELETED')).toEqual([
      expect.objectContaining({
        type: 'MESSAGE_DELETED',
        conversationId: c,
        messageId: m3.id,
        deletedAt: expect.any(String),
      }),
    ]);
    expect(events.some((e) => e.messageId === m1.id)).toBe(false);
  });
});

describe('SyncService: membership', () => {
  it('tells a user who left a group so, and gives them no message sent there after they left', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.user(), await w.user(), await w.user()];
    const g = await w.group(alice, bob, carol);
    await w.sendMany(alice, g, 2);
    const { cursor } = await w.syncAll(bob.id, {});
    w.tick(5000);
    await w.conversations.removeParticipant(bob.id, g, bob.id);
    w.tick();
    const after = await w.sendMany(alice, g, 2);
    const afterIds = new Set(after.map((m) => m.id));

    for (const request of [
      { since: cursor },
      { since: cursor, positions: { [g]: 0 } },
      { positions: { [g]: 2 } },
    ]) {
      const { events } = await w.syncAll(bob.id, request);
      expect(ofType(events, 'PARTICIPANTS_CHANGED', g)).toEqual([
        { type: 'PARTICIPANTS_CHANGED', conversationId: g, removed: [bob.id] },
      ]);
      expect(
        ofType(events, 'NEW_MESSAGE', g).filter((e) => afterIds.has(e.messageId as string)),
      ).toEqual([]);
      expect(events.some((e) => e.conversationId === g && e.type !== 'PARTICIPANTS_CHANGED')).toBe(
        false,
      );
    }
  });

  it('resumes a member removed and added again after their re-join, whatever position they hold', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const g = await w.group(alice, bob);
    await w.sendMany(alice, g, 2);
    const held = await w.sync.cursorNow(bob.id);
    await w.conversations.removeParticipant(alice.id, g, bob.id);
    w.tick();
    await w.sendMany(alice, g, 3); // seqs 3..5: sent while bob was out
    await w.conversations.addParticipants(alice.id, g, [bob.id]);
    w.tick();
    await w.sendMany(alice, g, 2); // seqs 6..7: his again

    for (const request of [{ positions: { [g]: 2 } }, { since: held }, { positions: { [g]: 0 } }]) {
      const { events } = await w.syncAll(bob.id, request);
      expect(newSeqs(events, g)).toEqual([6, 7]);
      // Seqs 3..5 hold messages (just not his): no SEQ_GAP may claim otherwise.
      expect(ofType(events, 'SEQ_GAP', g)).toEqual([]);
    }
  });

  it('starts a member added later at their joinedSeq: no history from before they joined', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.user(), await w.user(), await w.user()];
    const g = await w.group(alice, carol);
    await w.sendMany(alice, g, 3);
    w.tick(5000);
    const before = await w.sync.cursorNow(bob.id);
    w.tick(5000);
    await w.conversations.addParticipants(alice.id, g, [bob.id]);
    expect((await w.store.findParticipant(g, bob.id))?.joinedSeq).toBe(3);
    w.tick();
    await w.sendMany(carol, g, 2);

    const fresh = await w.syncAll(bob.id, {});
    expect(newSeqs(fresh.events, g)).toEqual([4, 5]);
    const fromOldCursor = await w.syncAll(bob.id, { since: before });
    expect(newSeqs(fromOldCursor.events, g)).toEqual([4, 5]);
    expect(ofType(fromOldCursor.events, 'PARTICIPANTS_CHANGED', g)).toEqual([
      expect.objectContaining({ added: [bob.id] }),
    ]);
  });

  // One admin action adds 250 at one instant: all of them must come through.
  it('pages through more membership changes than one SYNC reports without losing any', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const g = await w.group(alice, bob);
    const m1 = await w.send(alice, g);
    const cursor = await w.sync.cursorNow(bob.id);
    w.tick(5000);
    const newcomers: User[] = [];
    for (let i = 0; i < 250; i++) newcomers.push(await w.user());
    // One admin action adds them all (a group may have 1000).
    await w.conversations.addParticipants(
      alice.id,
      g,
      newcomers.map((u) => u.id),
    );
    w.tick();
    // A receipt moves after that.
    await w.store.advanceWatermark(g, alice.id, 'seen', { messageId: m1.id, seq: 1 }, w.clock());
    w.tick();

    const { events } = await w.syncAll(bob.id, { since: cursor });
    const added = new Set(
      ofType(events, 'PARTICIPANTS_CHANGED', g).flatMap((e) => (e.added as string[]) ?? []),
    );
    expect(newcomers.filter((u) => !added.has(u.id)).length).toBe(0);
  });

  // 210 reads stamped with one instant: all of them must come through.
  it('pages through more receipt changes than one SYNC reports without losing any, even within one millisecond', async () => {
    const w = world();
    const [alice, bob] = [await w.user(), await w.user()];
    const g = await w.group(alice, bob);
    const readers: string[] = [];
    for (let i = 0; i < 210; i++) {
      const id = newObjectId(w.clock());
      readers.push(id);
      await w.store.upsertParticipant(aParticipant(g, id, { joinedAt: w.clock(), seen: null }));
    }
    w.tick();
    const m1 = await w.send(alice, g);
    const cursor = await w.sync.cursorNow(bob.id);
    w.tick(5000);
    // A big group reads the message at once: the store stamps them all with the same instant.
    for (const id of readers) {
      await w.store.advanceWatermark(g, id, 'seen', { messageId: m1.id, seq: 1 }, w.clock());
    }
    w.tick();

    const { events } = await w.syncAll(bob.id, { since: cursor });
    const seenBy = new Set(ofType(events, 'MESSAGE_SEEN', g).map((e) => e.userId));
    expect(readers.filter((id) => !seenBy.has(id)).length).toBe(0);
  });
});
