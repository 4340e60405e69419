// The store contract: every Store adapter must pass this same suite.
import { blockId, directConversationId, newObjectId } from '../../src/domain/ids';
import type { Conversation, Message, Participant } from '../../src/domain/types';
import type { StoreCommandListener } from '../../src/adapters/store/store-commands';
import type { MessageDraft, Store, SyncChangesQuery } from '../../src/ports';
import { readListByList, readSyncChanges } from '../../src/app/sync-changes';
import { pinId } from '../../src/domain/pins';
import {
  aConversation,
  aMessage,
  aMessageDraft,
  aParticipant,
  aUser,
  uniqueName,
} from '../support/factories';
import { describePinContract } from './pin-contract';

export function describeStoreContract(name: string, openStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await openStore();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('users', () => {
      it('inserts once per id and reads back plain records', async () => {
        const user = aUser({ avatarUrl: 'https://x.test/a.png', passwordHash: 'h' });
        expect(await store.insertUser(user)).toBe(true);
        expect(await store.insertUser({ ...user, username: 'other' })).toBe(false);
        expect(await store.findUserById(user.id)).toEqual(user);
        expect(await store.findUserById(newObjectId())).toBeNull();
      });

      it('finds many by id, skipping unknown ones', async () => {
        const a = aUser();
        const b = aUser();
        await store.insertUser(a);
        await store.insertUser(b);
        const found = await store.findUsersByIds([a.id, newObjectId(), b.id]);
        expect(found.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
      });

      it('searches case-insensitively, literally, excluding the caller, bounded', async () => {
        const tag = uniqueName('Srch');
        const me = aUser({ username: `${tag}_me` });
        const others = [aUser({ username: `${tag}_Alice` }), aUser({ username: `${tag}_bob` })];
        const dotted = aUser({ username: `${tag}.x` });
        const notDotted = aUser({ username: `${tag}zx` });
        for (const u of [me, ...others, dotted, notDotted]) await store.insertUser(u);

        const found = await store.searchUsers(tag.toUpperCase() + '_', me.id, 10);
        expect(found.map((u) => u.username).sort()).toEqual(others.map((u) => u.username).sort());
        expect((await store.searchUsers(`${tag}.`, me.id, 10)).map((u) => u.id)).toEqual([
          dotted.id,
        ]);
        expect(await store.searchUsers(`${tag}(`, me.id, 10)).toEqual([]);
        expect(await store.searchUsers(tag, me.id, 2)).toHaveLength(2);
      });

      it('records last activity', async () => {
        const user = aUser();
        await store.insertUser(user);
        const at = new Date('2030-01-02T03:04:05.678Z');
        await store.setUserLastActive(user.id, at);
        expect((await store.findUserById(user.id))?.lastActiveAt).toEqual(at);
      });

      it('answers many reads and stamps at once, each as if alone', async () => {
        const users = Array.from({ length: 30 }, () => aUser());
        for (const u of users) await store.insertUser(u);
        const t0 = Date.parse('2030-01-03T00:00:00Z');
        await Promise.all(users.map((u, i) => store.setUserLastActive(u.id, new Date(t0 + i))));
        const unknown = newObjectId();
        const reads = await Promise.all(
          [...users, ...users]
            .map((u) => store.findUserById(u.id))
            .concat(store.findUserById(unknown)),
        );
        expect(reads.slice(0, 30)).toEqual(
          users.map((u, i) => ({ ...u, lastActiveAt: new Date(t0 + i) })),
        );
        expect(reads.slice(30, 60)).toEqual(reads.slice(0, 30));
        expect(reads[60]).toBeNull();
        // Two reads of one user are two records: changing one leaves the other as read.
        reads[0]!.lastActiveAt!.setTime(0);
        expect(reads[30]!.lastActiveAt).toEqual(new Date(t0));
      });
    });

    describe('conversations', () => {
      it('inserts once per id', async () => {
        const c = aConversation({ type: 'DIRECT', name: null });
        expect(await store.insertConversation(c)).toBe(true);
        expect(await store.insertConversation({ ...c, name: 'again' })).toBe(false);
        expect(await store.findConversation(c.id)).toEqual(c);
        expect(await store.findConversation(newObjectId())).toBeNull();
      });

      it('reserves seqs atomically, keeps createdAt non-decreasing, and sets the preview', async () => {
        const c = aConversation({ updatedAt: new Date('2030-01-01T00:00:00Z') });
        await store.insertConversation(c);
        const t2 = new Date('2030-01-01T00:00:02Z');
        const t1 = new Date('2030-01-01T00:00:01Z');
        const m1 = newObjectId();
        const m2 = newObjectId();
        expect(await store.reserveMessageSeq(c.id, t2, { messageId: m1, content: 'one' })).toEqual({
          seq: 1,
          at: t2,
        });
        // A node whose clock is behind still gets a time no earlier than the previous seq's.
        expect(await store.reserveMessageSeq(c.id, t1, { messageId: m2, content: 'two' })).toEqual({
          seq: 2,
          at: t2,
        });
        expect(await store.findConversation(c.id)).toMatchObject({
          lastSeq: 2,
          lastMessageId: m2,
          lastMessageContent: 'two',
          lastMessageAt: t2,
          updatedAt: t2,
        });
        expect(
          await store.reserveMessageSeq(newObjectId(), t1, { messageId: m1, content: 'x' }),
        ).toBeNull();

        await store.recordEmittedSeqs([{ conversationId: c.id, seq: 2 }]);
        await store.recordEmittedSeqs([{ conversationId: c.id, seq: 1 }]); // never back
        expect((await store.findConversation(c.id))?.emittedSeq).toBe(2);
        // Many conversations in one call, one of them twice: the highest counts.
        const other = aConversation();
        await store.insertConversation(other);
        await store.recordEmittedSeqs([
          { conversationId: other.id, seq: 7 },
          { conversationId: c.id, seq: 5 },
          { conversationId: other.id, seq: 3 },
          { conversationId: newObjectId(), seq: 9 },
        ]);
        expect((await store.findConversation(c.id))?.emittedSeq).toBe(5);
        expect((await store.findConversation(other.id))?.emittedSeq).toBe(7);
        await store.recordEmittedSeqs([]);
        await store.replaceLastMessagePreview(c.id, newObjectId(), 'not last');
        await store.replaceLastMessagePreview(c.id, m2, 'edited');
        expect((await store.findConversation(c.id))?.lastMessageContent).toBe('edited');
      });

      it('hands 50 concurrent reservations 50 distinct consecutive seqs', async () => {
        const c = aConversation();
        await store.insertConversation(c);
        const now = new Date();
        const got = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.reserveMessageSeq(c.id, now, { messageId: newObjectId(), content: 'x' }),
          ),
        );
        expect(got.map((r) => r?.seq).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      });

      it("lists a user's current conversations by activity, paginated, without ones they left", async () => {
        const me = newObjectId();
        const base = Date.parse('2031-01-01T00:00:00Z');
        const convs = [0, 1, 2, 3].map((i) =>
          aConversation({ updatedAt: new Date(base + (i < 2 ? 0 : i) * 1000) }),
        );
        for (const c of convs) {
          await store.insertConversation(c);
          await store.upsertParticipant(aParticipant(c.id, me));
        }
        const left = aConversation({ updatedAt: new Date(base + 10_000) });
        await store.insertConversation(left);
        await store.upsertParticipant(aParticipant(left.id, me));
        await store.markParticipantLeft(left.id, me, new Date());

        const expected = [...convs].sort(
          (a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : -1),
        );
        const first = await store.listConversationsOfUser(me, null, 3);
        expect(first.map((c) => c.id)).toEqual(expected.slice(0, 3).map((c) => c.id));
        const lastOfFirst = first[2]!;
        const second = await store.listConversationsOfUser(
          me,
          { updatedAt: lastOfFirst.updatedAt, id: lastOfFirst.id },
          3,
        );
        expect(second.map((c) => c.id)).toEqual(expected.slice(3).map((c) => c.id));
      });

      it('answers many conversation reads at once, each as if alone', async () => {
        const convs = Array.from({ length: 6 }, (_, i) =>
          aConversation({ name: `c${i}`, updatedAt: new Date(Date.parse('2031-03-01') + i) }),
        );
        for (const c of convs) await store.insertConversation(c);
        const ids = [...convs, ...convs].map((c) => c.id).concat(newObjectId());
        const found = await Promise.all(ids.map((id) => store.findConversation(id)));
        expect(found).toEqual([...convs, ...convs, null]);
        found[0]!.updatedAt.setTime(0);
        expect(found[6]!.updatedAt).toEqual(convs[0]!.updatedAt);
      });

      it("answers many users' first pages at once, each as if alone", async () => {
        const base = Date.parse('2031-02-01T00:00:00Z');
        const users = Array.from({ length: 12 }, () => newObjectId());
        const shared = aConversation({ updatedAt: new Date(base) });
        await store.insertConversation(shared);
        // User i is in i + 1 conversations of their own and the shared one.
        for (const [i, u] of users.entries()) {
          await store.upsertParticipant(aParticipant(shared.id, u));
          for (let k = 0; k <= i; k++) {
            const c = aConversation({ updatedAt: new Date(base + (k + 1) * 1000) });
            await store.insertConversation(c);
            await store.upsertParticipant(aParticipant(c.id, u));
          }
        }
        const alone: Conversation[][] = [];
        for (const u of users)
          for (const limit of [3, 20])
            alone.push(await store.listConversationsOfUser(u, null, limit));
        // Each user twice per page size, all in flight together, and one with no conversations.
        const asks = users.flatMap((u) => [3, 20, 3, 20].map((limit) => ({ u, limit })));
        const together = await Promise.all([
          ...asks.map(({ u, limit }) => store.listConversationsOfUser(u, null, limit)),
          store.listConversationsOfUser(newObjectId(), null, 20),
        ]);
        expect(together.at(-1)).toEqual([]);
        users.forEach((_, i) => {
          expect(together.slice(i * 4, i * 4 + 4)).toEqual([
            alone[i * 2],
            alone[i * 2 + 1],
            alone[i * 2],
            alone[i * 2 + 1],
          ]);
        });
        expect(together[1]!.map((c) => c.id)).toContain(shared.id);
        // Two answers to one ask are two sets of records.
        together[0][0]!.updatedAt.setTime(0);
        expect(together[2]![0]!.updatedAt).toEqual(alone[0]![0]!.updatedAt);
      });
    });

    describe('participants', () => {
      it('adds, keeps current ones unchanged, and re-joins those who left', async () => {
        const c = newObjectId();
        const u = newObjectId();
        const p = aParticipant(c, u, { role: 'ADMIN', joinedAt: new Date('2030-01-01T00:00:00Z') });
        expect(await store.upsertParticipant(p)).toBe(true);
        expect(await store.upsertParticipant({ ...p, role: 'MEMBER' })).toBe(false);
        expect(await store.findParticipant(c, u)).toEqual(p);

        const leftAt = new Date('2030-01-02T00:00:00Z');
        expect(await store.markParticipantLeft(c, u, leftAt)).toBe(true);
        expect(await store.markParticipantLeft(c, u, leftAt)).toBe(false);
        expect((await store.findParticipant(c, u))?.leftAt).toEqual(leftAt);

        const rejoin = aParticipant(c, u, { joinedAt: new Date('2030-01-03T00:00:00Z') });
        expect(await store.upsertParticipant(rejoin)).toBe(true);
        expect(await store.findParticipant(c, u)).toEqual(rejoin);
        expect(await store.findParticipant(c, newObjectId())).toBeNull();
      });

      it('lists every participant by join time and changes roles', async () => {
        const c = newObjectId();
        const [a, b, d] = [newObjectId(), newObjectId(), newObjectId()];
        await store.upsertParticipant(
          aParticipant(c, b, { joinedAt: new Date('2030-01-02T00:00:00Z') }),
        );
        await store.upsertParticipant(
          aParticipant(c, a, { joinedAt: new Date('2030-01-01T00:00:00Z') }),
        );
        await store.upsertParticipant(
          aParticipant(c, d, { joinedAt: new Date('2030-01-03T00:00:00Z') }),
        );
        await store.markParticipantLeft(c, d, new Date());
        await store.setParticipantRole(c, b, 'ADMIN');
        const all = await store.listParticipants(c);
        expect(all.map((p) => p.userId)).toEqual([a, b, d]);
        expect(all[1]?.role).toBe('ADMIN');
        expect(all[2]?.leftAt).not.toBeNull();
      });

      it('answers many participant reads at once, each as if alone', async () => {
        const conversations = Array.from({ length: 8 }, () => newObjectId());
        const users = Array.from({ length: 5 }, () => newObjectId());
        const t0 = Date.parse('2030-02-01T00:00:00Z');
        // Conversation i has the first i + 1 users, the later ones joined first.
        for (const [i, c] of conversations.entries())
          for (let k = 0; k <= Math.min(i, users.length - 1); k++)
            await store.upsertParticipant(
              aParticipant(c, users[k]!, { joinedAt: new Date(t0 - k * 1000) }),
            );
        const empty = newObjectId();
        const asked = [...conversations, ...conversations, empty];
        const alone: Participant[][] = [];
        for (const c of asked) alone.push(await store.listParticipants(c));
        const pairs = conversations.flatMap((c) => users.map((u) => [c, u] as const));
        const aloneFound: (Participant | null)[] = [];
        for (const [c, u] of pairs) aloneFound.push(await store.findParticipant(c, u));
        const [lists, found] = await Promise.all([
          Promise.all(asked.map((c) => store.listParticipants(c))),
          Promise.all([...pairs, ...pairs].map(([c, u]) => store.findParticipant(c, u))),
        ]);
        expect(lists).toEqual(alone);
        expect(lists.at(-1)).toEqual([]);
        expect(lists[7]!.map((p) => p.userId)).toEqual([...users].reverse());
        expect(found).toEqual([...aloneFound, ...aloneFound]);
        expect(found.filter((p) => p === null)).toHaveLength(2 * (40 - 1 - 2 - 3 - 4 - 5 * 4));
        // Two answers to one ask are two sets of records.
        lists[0]![0]!.joinedAt.setTime(0);
        expect(lists[8]![0]!.joinedAt).toEqual(new Date(t0));
      });

      it.each(['seen', 'delivered'] as const)(
        'moves the %s watermark forward only, reporting where it stood',
        async (kind) => {
          const c = newObjectId();
          const u = newObjectId();
          await store.upsertParticipant(aParticipant(c, u));
          const t = new Date('2030-01-01T00:00:00.123Z');
          const low = { messageId: newObjectId(), seq: 4 };
          const high = { messageId: newObjectId(), seq: 5 };
          expect(await store.advanceWatermark(c, u, kind, low, t)).toEqual({
            moved: true,
            previous: null,
          });
          expect(await store.advanceWatermark(c, u, kind, high, t)).toEqual({
            moved: true,
            previous: low,
          });
          expect(await store.advanceWatermark(c, u, kind, low, t)).toEqual({
            moved: false,
            previous: high,
          });
          expect(await store.advanceWatermark(c, u, kind, high, t)).toEqual({
            moved: false,
            previous: high,
          });
          const older = { messageId: 'f'.repeat(24), seq: 3 };
          expect((await store.advanceWatermark(c, u, kind, older, t)).moved).toBe(false);
          expect((await store.findParticipant(c, u))?.[kind]).toEqual(high);
          const other = kind === 'seen' ? 'delivered' : 'seen';
          expect((await store.findParticipant(c, u))?.[other]).toBeNull();
          await store.markParticipantLeft(c, u, t);
          const later = { messageId: newObjectId(), seq: 9 };
          expect(await store.advanceWatermark(c, u, kind, later, t)).toEqual({
            moved: false,
            previous: high,
          });
        },
      );

      it('stamps receipt changes and lists them by conversation, oldest first', async () => {
        const [c1, c2, other] = [newObjectId(), newObjectId(), newObjectId()];
        const [u, v] = [newObjectId(), newObjectId()];
        for (const [c, x] of [
          [c1, u],
          [c1, v],
          [c2, u],
          [other, u],
        ] as const)
          await store.upsertParticipant(aParticipant(c, x));
        const t0 = Date.parse('2030-03-01T00:00:00Z');
        const mark = { messageId: newObjectId(), seq: 1 };
        await store.advanceWatermark(c1, v, 'seen', mark, new Date(t0 + 20));
        await store.advanceWatermark(c2, u, 'delivered', mark, new Date(t0 + 10));
        await store.advanceWatermark(other, u, 'seen', mark, new Date(t0 + 30));
        expect((await store.findParticipant(c1, v))?.receiptsAt).toEqual(new Date(t0 + 20));
        const changed = await store.listReceiptsChangedSince([c1, c2], new Date(t0), 10);
        expect(changed.map((p) => [p.conversationId, p.userId])).toEqual([
          [c2, u],
          [c1, v],
        ]);
        expect(await store.listReceiptsChangedSince([c1, c2], new Date(t0 + 10), 10)).toHaveLength(
          1,
        );
        // a move that does not advance leaves the stamp alone
        await store.advanceWatermark(c1, v, 'seen', mark, new Date(t0 + 99));
        expect((await store.findParticipant(c1, v))?.receiptsAt).toEqual(new Date(t0 + 20));
      });

      it("moves several participants' delivered watermarks in one write, as one by one would", async () => {
        const [c1, c2] = [newObjectId(), newObjectId()];
        const [u1, u2, u3, gone, stranger] = [
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
        ];
        for (const [c, x] of [
          [c1, u1],
          [c1, u2],
          [c2, u3],
          [c2, gone],
        ] as const)
          await store.upsertParticipant(aParticipant(c, x));
        await store.markParticipantLeft(c2, gone, new Date());
        const mark = (seq: number) => ({ messageId: newObjectId(), seq });
        const at = new Date('2030-04-01T00:00:00.000Z');
        const start = mark(4);
        await store.advanceWatermark(c1, u1, 'delivered', start, at);
        const moves = [
          { conversationId: c1, userId: u1, to: mark(6), at },
          { conversationId: c1, userId: u2, to: mark(3), at },
          { conversationId: c2, userId: u3, to: mark(2), at },
          { conversationId: c2, userId: gone, to: mark(5), at },
          { conversationId: c2, userId: stranger, to: mark(1), at },
        ];
        // Stores without the batch write the moves one by one (as ReceiptService then does).
        const results = store.advanceDeliveredWatermarks
          ? await store.advanceDeliveredWatermarks(moves)
          : await Promise.all(
              moves.map((m) =>
                store.advanceWatermark(m.conversationId, m.userId, 'delivered', m.to, m.at),
              ),
            );
        expect(results).toEqual([
          { moved: true, previous: start },
          { moved: true, previous: null },
          { moved: true, previous: null },
          { moved: false, previous: null },
          { moved: false, previous: null },
        ]);
        expect((await store.findParticipant(c1, u1))?.delivered).toEqual(moves[0]?.to);
        expect((await store.findParticipant(c1, u2))?.delivered).toEqual(moves[1]?.to);
        expect((await store.findParticipant(c1, u2))?.receiptsAt).toEqual(at);
        expect((await store.findParticipant(c2, gone))?.delivered).toBeNull();
        expect((await store.findParticipant(c1, u1))?.seen).toBeNull();
        if (!store.advanceDeliveredWatermarks) return;
        // Two moves of one participant in a batch: the highest is written, the other follows it.
        const [low, high] = [mark(7), mark(9)];
        expect(
          await store.advanceDeliveredWatermarks([
            { conversationId: c1, userId: u1, to: low, at },
            { conversationId: c1, userId: u1, to: high, at },
            { conversationId: c1, userId: u2, to: mark(1), at },
          ]),
        ).toEqual([
          { moved: false, previous: high },
          { moved: true, previous: moves[0]?.to },
          { moved: false, previous: moves[1]?.to },
        ]);
        expect((await store.findParticipant(c1, u1))?.delivered).toEqual(high);
      });

      it('lets concurrent batches of delivered moves claim disjoint ranges, without deadlock', async () => {
        const many = store.advanceDeliveredWatermarks?.bind(store);
        if (!many) return; // stores without the batch: the single moves below cover them
        const c = newObjectId();
        const [u, v] = [newObjectId(), newObjectId()];
        await store.upsertParticipant(aParticipant(c, u));
        await store.upsertParticipant(aParticipant(c, v));
        const at = new Date('2030-05-01T00:00:00.000Z');
        const marks = Array.from({ length: 20 }, (_, i) => ({
          messageId: newObjectId(),
          seq: i + 1,
        }));
        // Each batch moves both participants, half of them listing v first.
        const batches = await Promise.all(
          marks.map((m, i) => {
            const pair = [
              { conversationId: c, userId: u, to: m, at },
              { conversationId: c, userId: v, to: m, at },
            ];
            return many(i % 2 === 0 ? pair : pair.reverse()).then((r) =>
              i % 2 === 0 ? r : r.reverse(),
            );
          }),
        );
        for (const who of [0, 1]) {
          const claimed = batches
            .map((r, i) => ({ ...r[who]!, seq: marks[i]!.seq }))
            .filter((m) => m.moved)
            .map((m) => [m.previous?.seq ?? 0, m.seq] as const)
            .sort((a, b) => a[0] - b[0]);
          for (let i = 1; i < claimed.length; i++)
            expect(claimed[i]![0]).toBeGreaterThanOrEqual(claimed[i - 1]![1]);
        }
        expect((await store.findParticipant(c, u))?.delivered).toEqual(marks[19]);
        expect((await store.findParticipant(c, v))?.delivered).toEqual(marks[19]);
      });

      it('lets concurrent moves claim disjoint ranges', async () => {
        const c = newObjectId();
        const u = newObjectId();
        await store.upsertParticipant(aParticipant(c, u));
        const base = Date.parse('2030-02-01T00:00:00Z');
        const marks = Array.from({ length: 20 }, (_, i) => ({
          messageId: newObjectId(),
          seq: i + 1,
        }));
        const moves = await Promise.all(
          marks.map((m) => store.advanceWatermark(c, u, 'delivered', m, new Date(base + m.seq))),
        );
        // Each successful move covers (previous, mark]; together they never overlap.
        const claimed = moves
          .map((m, i) => ({ ...m, mark: marks[i]! }))
          .filter((m) => m.moved)
          .map((m) => [m.previous?.seq ?? 0, m.mark.seq] as const)
          .sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < claimed.length; i++)
          expect(claimed[i]![0]).toBeGreaterThanOrEqual(claimed[i - 1]![1]);
        expect((await store.findParticipant(c, u))?.delivered).toEqual(marks[19]);
      });
    });

    describe('messages', () => {
      it('appends at the next seq with the outbox pending, the conversation moved with it', async () => {
        const c = aConversation();
        await store.insertConversation(c);
        const sender = newObjectId();
        await store.upsertParticipant(aParticipant(c.id, sender));
        const now = new Date(c.createdAt.getTime() + 1000);
        const draft = (over: Partial<MessageDraft> = {}): MessageDraft =>
          aMessageDraft(c.id, sender, over);
        const first = draft({ tempId: 'a-1', originSocketId: 'socket-a' });
        const appended = await store.appendMessage(first, now, 'preview one');
        expect(appended).toEqual({
          kind: 'appended',
          message: { ...first, seq: c.lastSeq + 1, createdAt: now, changedAt: now },
          participantIds: [sender],
        });
        expect(await store.findMessage(first.id)).toEqual(
          appended.kind === 'appended' ? appended.message : null,
        );
        expect(
          (await store.listPendingMessageEvents(new Date(now.getTime() + 1), 1000)).map(
            (m) => m.id,
          ),
        ).toContain(first.id);
        expect(await store.findConversation(c.id)).toMatchObject({
          lastSeq: c.lastSeq + 1,
          lastMessageId: first.id,
          lastMessageContent: 'preview one',
          lastMessageAt: now,
          updatedAt: now,
        });

        // The same id again is a duplicate and changes nothing of the message.
        expect(await store.appendMessage({ ...first, content: 'other' }, now, 'x')).toEqual({
          kind: 'duplicate',
        });
        expect((await store.findMessage(first.id))?.content).toBe(first.content);

        // An earlier clock never moves a message before its predecessor.
        const second = draft();
        const earlier = new Date(now.getTime() - 5000);
        const next = await store.appendMessage(second, earlier, null);
        expect(next.kind === 'appended' && next.message.createdAt).toEqual(now);
        expect(next.kind === 'appended' && next.message.seq).toBeGreaterThan(c.lastSeq + 1);

        expect(
          await store.appendMessage(draft({ conversationId: newObjectId() }), now, null),
        ).toEqual({ kind: 'refused' });
      });

      it('refuses an append from anyone but a current participant, taking no seq', async () => {
        const c = aConversation();
        await store.insertConversation(c);
        const [member, gone, stranger] = [newObjectId(), newObjectId(), newObjectId()];
        await store.upsertParticipant(aParticipant(c.id, member));
        await store.upsertParticipant(aParticipant(c.id, gone));
        await store.markParticipantLeft(c.id, gone, new Date());
        const now = new Date();
        for (const sender of [gone, stranger])
          expect(await store.appendMessage(aMessageDraft(c.id, sender), now, 'x')).toEqual({
            kind: 'refused',
          });
        expect((await store.findConversation(c.id))?.lastSeq).toBe(c.lastSeq);
        expect(await store.listMessagesAfter(c.id, 0, 10)).toEqual([]);
        const ok = await store.appendMessage(aMessageDraft(c.id, member), now, 'x');
        expect(ok.kind === 'appended' && ok.message.seq).toBe(c.lastSeq + 1);
      });

      it('names who a message is for: current participants who joined before its seq', async () => {
        const c = aConversation({ lastSeq: 4 });
        await store.insertConversation(c);
        const [early, late, gone] = [newObjectId(), newObjectId(), newObjectId()];
        await store.upsertParticipant(aParticipant(c.id, early, { joinedSeq: 0 }));
        await store.upsertParticipant(aParticipant(c.id, gone, { joinedSeq: 1 }));
        await store.markParticipantLeft(c.id, gone, new Date());
        // Joined at a seq the message does not come after (as a join racing the send).
        await store.upsertParticipant(aParticipant(c.id, late, { joinedSeq: 5 }));
        const appended = await store.appendMessage(aMessageDraft(c.id, early), new Date(), 'x');
        expect(appended.kind === 'appended' && appended.message.seq).toBe(5);
        expect(appended.kind === 'appended' && appended.participantIds).toEqual([early]);
      });

      it('gives 20 parallel appends to one conversation distinct seqs in creation order', async () => {
        const c = aConversation();
        await store.insertConversation(c);
        const sender = newObjectId();
        await store.upsertParticipant(aParticipant(c.id, sender));
        const now = new Date();
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.appendMessage(aMessageDraft(c.id, sender), now, null),
          ),
        );
        const messages = results.map((r) => (r.kind === 'appended' ? r.message : null));
        expect(messages.every((m) => m !== null)).toBe(true);
        const seqs = messages.map((m) => m?.seq ?? 0);
        expect(new Set(seqs).size).toBe(20);
        const page = await store.listMessagesAfter(c.id, 0, 50);
        expect(page.map((m) => m.seq)).toEqual([...seqs].sort((a, b) => a - b));
        for (let i = 1; i < page.length; i++) {
          expect(page[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(
            page[i - 1]!.createdAt.getTime(),
          );
        }
      });

      it('inserts once per id and reads back', async () => {
        const m = aMessage(newObjectId(), newObjectId(), {
          media: [
            {
              url: 'https://x.test/v.mp4',
              type: 'video',
              thumbnailUrl: 'https://x.test/t.png',
              width: 640,
              height: 480,
              duration: 1.5,
            },
          ],
          type: 'MIXED',
          tempId: 't-1',
          replyToMessageId: newObjectId(),
        });
        expect(await store.insertMessage(m)).toBe(true);
        expect(await store.insertMessage({ ...m, content: 'dup' })).toBe(false);
        expect(await store.findMessage(m.id)).toEqual(m);
        expect(await store.findMessage(newObjectId())).toBeNull();
      });

      it('pages by seq both ways without skipping or repeating when hundreds share a millisecond', async () => {
        const c = newObjectId();
        const sender = newObjectId();
        const sameMs = new Date('2030-05-05T05:05:05.555Z');
        const inserted = Array.from({ length: 250 }, (_, i) =>
          aMessage(c, sender, { seq: i + 1, createdAt: sameMs, content: `m${i}` }),
        );
        // Inserted out of order: the store orders by seq, not by arrival.
        await Promise.all([...inserted].reverse().map((m) => store.insertMessage(m)));
        const seen: string[] = [];
        let before: number | null = null;
        for (;;) {
          const page: Message[] = await store.listMessagesBefore(c, before, 37);
          if (page.length === 0) break;
          seen.push(...page.map((m) => m.id));
          before = page[page.length - 1]!.seq;
        }
        expect(seen).toEqual([...inserted].reverse().map((m) => m.id));
        const forward: string[] = [];
        for (let after = 0; ;) {
          const page: Message[] = await store.listMessagesAfter(c, after, 41);
          if (page.length === 0) break;
          forward.push(...page.map((m) => m.id));
          after = page[page.length - 1]!.seq;
        }
        expect(forward).toEqual(inserted.map((m) => m.id));
        expect(await store.listMessagesBefore(newObjectId(), null, 10)).toEqual([]);
        expect(await store.listMessagesAfter(newObjectId(), 0, 10)).toEqual([]);
      });

      it('lists after a seq across holes', async () => {
        const c = newObjectId();
        const s1 = newObjectId();
        for (const seq of [1, 2, 5, 6]) await store.insertMessage(aMessage(c, s1, { seq }));
        expect((await store.listMessagesAfter(c, 2, 10)).map((m) => m.seq)).toEqual([5, 6]);
        expect((await store.listMessagesAfter(c, 0, 3)).map((m) => m.seq)).toEqual([1, 2, 5]);
        expect((await store.listMessagesBefore(c, 5, 10)).map((m) => m.seq)).toEqual([2, 1]);
      });

      it('answers many pages after a seq asked at once, each as if alone', async () => {
        const [a, b] = [newObjectId(), newObjectId()];
        const sender = newObjectId();
        for (const seq of [1, 2, 3, 4, 5]) await store.insertMessage(aMessage(a, sender, { seq }));
        for (const seq of [1, 3, 4]) await store.insertMessage(aMessage(b, sender, { seq }));
        const asks: [string, number, number][] = [
          [a, 0, 2],
          [b, 1, 10],
          [a, 2, 10],
          [newObjectId(), 0, 10],
          [a, 0, 2],
          [b, 4, 10],
          [a, 3, 0],
        ];
        const pages = await Promise.all(
          asks.map(([c, after, n]) => store.listMessagesAfter(c, after, n)),
        );
        expect(
          pages.map((page) => page.map((m) => `${m.conversationId === a ? 'a' : 'b'}${m.seq}`)),
        ).toEqual([['a1', 'a2'], ['b3', 'b4'], ['a3', 'a4', 'a5'], [], ['a1', 'a2'], [], []]);
        // Each ask's records are its own.
        expect(pages[0]![0]).not.toBe(pages[4]![0]);
        expect(pages[0]).toEqual(pages[4]);
      });

      it('counts messages after a watermark, not the reader’s own, not deleted', async () => {
        const c = newObjectId();
        const [me, other] = [newObjectId(), newObjectId()];
        const base = Date.parse('2030-06-01T00:00:00Z');
        const ms = [
          aMessage(c, other, { seq: 1, createdAt: new Date(base) }),
          aMessage(c, other, { seq: 2, createdAt: new Date(base + 1) }),
          aMessage(c, me, { seq: 3, createdAt: new Date(base + 2) }),
          aMessage(c, other, { seq: 4, createdAt: new Date(base + 3) }),
          aMessage(c, other, {
            seq: 5,
            createdAt: new Date(base + 4),
            deletedAt: new Date(base + 5),
          }),
        ];
        for (const m of ms) await store.insertMessage(m);
        expect(await store.countMessagesAfter(c, 0, me)).toBe(3);
        expect(await store.countMessagesAfter(c, 1, me)).toBe(2);
        expect(await store.countMessagesAfter(c, 4, me)).toBe(0);
      });

      it('edits and soft-deletes, bumping changedAt, and lists changes in change order', async () => {
        const c = newObjectId();
        const s = newObjectId();
        const t0 = new Date('2030-07-01T00:00:00Z');
        const a = aMessage(c, s, { createdAt: t0 });
        const b = aMessage(c, s, { createdAt: new Date(t0.getTime() + 1) });
        const untouched = aMessage(c, s, { createdAt: new Date(t0.getTime() + 2) });
        await store.insertMessage(a);
        await store.insertMessage(b);
        await store.insertMessage(untouched);
        const edited = await store.updateMessage(a.id, {
          content: 'new',
          updatedAt: new Date(t0.getTime() + 10),
          changedAt: new Date(t0.getTime() + 10),
        });
        expect(edited).toMatchObject({
          id: a.id,
          content: 'new',
          updatedAt: new Date(t0.getTime() + 10),
        });
        const deleted = await store.updateMessage(b.id, {
          deletedAt: new Date(t0.getTime() + 20),
          changedAt: new Date(t0.getTime() + 20),
        });
        expect(deleted?.deletedAt).toEqual(new Date(t0.getTime() + 20));
        expect(await store.updateMessage(newObjectId(), { changedAt: t0 })).toBeNull();

        const start = { createdAt: new Date(0), id: '0'.repeat(24) };
        // Only edited or deleted messages: a new one is not an edit.
        const changes = await store.listMessageEditsSince([c], start, 10);
        expect(changes.map((m) => m.id)).toEqual([a.id, b.id]);
        const after = await store.listMessageEditsSince(
          [c],
          { createdAt: changes[0]!.changedAt, id: a.id },
          10,
        );
        expect(after.map((m) => m.id)).toEqual([b.id]);
        expect(await store.listMessageEditsSince([newObjectId()], start, 10)).toEqual([]);
      });

      it('lets one relay at a time claim a pending event, until its claim expires', async () => {
        const m = aMessage(newObjectId(), newObjectId(), {
          createdAt: new Date('2001-01-02T00:00:00Z'),
        });
        await store.insertMessage(m);
        const t = Date.parse('2030-01-01T00:00:00Z');
        const claims = await Promise.all(
          [0, 1, 2, 3].map(() =>
            store.claimPendingMessageEvent(m.id, new Date(t), new Date(t + 30_000)),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(
          await store.claimPendingMessageEvent(m.id, new Date(t + 29_999), new Date(t + 60_000)),
        ).toBe(false);
        expect(
          await store.claimPendingMessageEvent(m.id, new Date(t + 30_000), new Date(t + 60_000)),
        ).toBe(true);
        await store.clearPendingMessageEvents([m.id]);
        expect(
          await store.claimPendingMessageEvent(m.id, new Date(t + 90_000), new Date(t + 99_000)),
        ).toBe(false);
        expect(
          await store.claimPendingMessageEvent(newObjectId(), new Date(t), new Date(t + 1)),
        ).toBe(false);
      });

      it('keeps a pending message.sent event until it is cleared', async () => {
        const m = aMessage(newObjectId(), newObjectId(), {
          createdAt: new Date('2001-01-01T00:00:00Z'),
        });
        await store.insertMessage(m);
        const pending = await store.listPendingMessageEvents(
          new Date('2001-01-01T00:00:01Z'),
          1000,
        );
        expect(pending.map((p) => p.id)).toContain(m.id);
        const counted = await store.countPendingMessageEvents();
        expect(counted).toBeGreaterThanOrEqual(1);
        await store.clearPendingMessageEvents([m.id, newObjectId()]);
        await store.clearPendingMessageEvents([]);
        const after = await store.listPendingMessageEvents(new Date('2001-01-01T00:00:01Z'), 1000);
        expect(after.map((p) => p.id)).not.toContain(m.id);
        expect(await store.countPendingMessageEvents()).toBe(counted - 1);
      });
    });

    describe('membership changes', () => {
      it('lists joins and departures after a time, and the conversations a user left', async () => {
        const [c1, c2] = [newObjectId(), newObjectId()];
        const [u, v, w] = [newObjectId(), newObjectId(), newObjectId()];
        const t0 = Date.parse('2030-09-01T00:00:00Z');
        await store.upsertParticipant(aParticipant(c1, u, { joinedAt: new Date(t0 - 10) }));
        await store.upsertParticipant(aParticipant(c1, v, { joinedAt: new Date(t0 + 10) }));
        await store.upsertParticipant(aParticipant(c2, w, { joinedAt: new Date(t0 - 10) }));
        await store.markParticipantLeft(c2, w, new Date(t0 + 20));
        const changed = await store.listMembershipChangesSince([c1, c2], new Date(t0), 10);
        expect(changed.map((p) => [p.conversationId, p.userId])).toEqual([
          [c1, v],
          [c2, w],
        ]);
        expect(await store.listMembershipChangesSince([c1], new Date(t0 + 10), 10)).toEqual([]);
        const left = await store.listConversationsLeftSince(w, new Date(t0));
        expect(left.map((p) => p.conversationId)).toEqual([c2]);
        expect(await store.listConversationsLeftSince(w, new Date(t0 + 20))).toEqual([]);
      });
    });

    describe('mutes', () => {
      it('sets, replaces and undoes a current participant’s mute, stamping when it changed', async () => {
        const c = newObjectId();
        const u = newObjectId();
        await store.upsertParticipant(aParticipant(c, u));
        const t0 = Date.parse('2030-10-01T00:00:00Z');
        const until = new Date(t0 + 3_600_000);
        expect(await store.setParticipantMute(c, u, { muted: true, until }, new Date(t0))).toBe(
          true,
        );
        expect(await store.findParticipant(c, u)).toMatchObject({
          muted: true,
          mutedUntil: until,
          muteChangedAt: new Date(t0),
        });
        await store.setParticipantMute(c, u, { muted: true, until: null }, new Date(t0 + 1));
        expect(await store.findParticipant(c, u)).toMatchObject({ muted: true, mutedUntil: null });
        // Undoing drops the end, whatever was passed with it.
        await store.setParticipantMute(c, u, { muted: false, until }, new Date(t0 + 2));
        expect(await store.findParticipant(c, u)).toMatchObject({
          muted: false,
          mutedUntil: null,
          muteChangedAt: new Date(t0 + 2),
        });
        // Every other field is untouched, and a fresh record is not muted.
        const other = aParticipant(c, newObjectId());
        await store.upsertParticipant(other);
        expect(await store.findParticipant(c, other.userId)).toEqual(other);
      });

      it('refuses one who left or never joined, and resets the mute on a re-join', async () => {
        const c = newObjectId();
        const u = newObjectId();
        const at = new Date('2030-10-02T00:00:00Z');
        const mute = { muted: true, until: null };
        expect(await store.setParticipantMute(c, newObjectId(), mute, at)).toBe(false);
        await store.upsertParticipant(aParticipant(c, u));
        await store.setParticipantMute(c, u, mute, at);
        await store.markParticipantLeft(c, u, at);
        expect(await store.setParticipantMute(c, u, { muted: false, until: null }, at)).toBe(false);
        expect((await store.findParticipant(c, u))?.muted).toBe(true);
        await store.upsertParticipant(aParticipant(c, u));
        expect(await store.findParticipant(c, u)).toMatchObject({
          muted: false,
          mutedUntil: null,
          muteChangedAt: null,
        });
      });

      it('lists the user’s current records whose mute changed after a time, oldest first', async () => {
        const [c1, c2, c3] = [newObjectId(), newObjectId(), newObjectId()];
        const [u, v] = [newObjectId(), newObjectId()];
        for (const c of [c1, c2, c3]) await store.upsertParticipant(aParticipant(c, u));
        await store.upsertParticipant(aParticipant(c1, v));
        const t0 = Date.parse('2030-10-03T00:00:00Z');
        const mute = { muted: true, until: null };
        await store.setParticipantMute(c2, u, mute, new Date(t0 + 10));
        await store.setParticipantMute(c1, u, mute, new Date(t0 + 20));
        await store.setParticipantMute(c3, u, mute, new Date(t0 - 10));
        await store.setParticipantMute(c1, v, mute, new Date(t0 + 30));
        const changed = await store.listMuteChangesSince(u, new Date(t0));
        expect(changed.map((p) => p.conversationId)).toEqual([c2, c1]);
        expect(changed.every((p) => p.userId === u && p.muted)).toBe(true);
        await store.markParticipantLeft(c2, u, new Date(t0 + 40));
        expect(
          (await store.listMuteChangesSince(u, new Date(t0))).map((p) => p.conversationId),
        ).toEqual([c1]);
        expect(await store.listMuteChangesSince(u, new Date(t0 + 20))).toEqual([]);
      });
    });

    describe('mentions', () => {
      it('stores who a message mentions through append, batch append, insert and edit', async () => {
        const c = aConversation();
        await store.insertConversation(c);
        const [sender, alice, bob] = [newObjectId(), newObjectId(), newObjectId()];
        for (const u of [sender, alice, bob]) await store.upsertParticipant(aParticipant(c.id, u));
        const now = new Date(c.createdAt.getTime() + 1000);
        const one = aMessageDraft(c.id, sender, { mentions: [alice, bob] });
        const appended = await store.appendMessage(one, now, null);
        expect(appended.kind === 'appended' && appended.message.mentions).toEqual([alice, bob]);
        expect((await store.findMessage(one.id))?.mentions).toEqual([alice, bob]);
        const plain = aMessageDraft(c.id, sender);
        const batch = [aMessageDraft(c.id, sender, { mentions: [bob] }), plain];
        const results = store.appendMessages
          ? await store.appendMessages(batch, now, [null, null])
          : [
              await store.appendMessage(batch[0]!, now, null),
              await store.appendMessage(plain, now, null),
            ];
        expect(results.map((r) => r.kind)).toEqual(['appended', 'appended']);
        expect((await store.findMessage(batch[0]!.id))?.mentions).toEqual([bob]);
        expect((await store.findMessage(plain.id))?.mentions).toEqual([]);
        const inserted = aMessage(c.id, sender, { seq: 100, mentions: [alice] });
        expect(await store.insertMessage(inserted)).toBe(true);
        expect((await store.findMessage(inserted.id))?.mentions).toEqual([alice]);
        const edited = await store.updateMessage(plain.id, {
          content: 'hi @bob',
          mentions: [bob],
          changedAt: now,
        });
        expect(edited?.mentions).toEqual([bob]);
        // A patch without mentions keeps them.
        const again = await store.updateMessage(plain.id, { content: 'hi', changedAt: now });
        expect(again?.mentions).toEqual([bob]);
      });

      it('counts a user’s mentions after a watermark, not their own, not deleted', async () => {
        const c = newObjectId();
        const [me, other, third] = [newObjectId(), newObjectId(), newObjectId()];
        const base = Date.parse('2030-06-01T00:00:00Z');
        const at = (i: number) => new Date(base + i);
        const ms = [
          aMessage(c, other, { seq: 1, createdAt: at(1), mentions: [me] }),
          aMessage(c, other, { seq: 2, createdAt: at(2), mentions: [third] }),
          aMessage(c, other, { seq: 3, createdAt: at(3), mentions: [third, me] }),
          aMessage(c, me, { seq: 4, createdAt: at(4), mentions: [me] }),
          aMessage(c, other, { seq: 5, createdAt: at(5), mentions: [me], deletedAt: at(6) }),
          aMessage(c, other, { seq: 6, createdAt: at(6) }),
          aMessage(newObjectId(), other, { seq: 7, createdAt: at(7), mentions: [me] }),
        ];
        for (const m of ms) await store.insertMessage(m);
        expect(await store.countMentionsAfter(c, 0, me)).toBe(2);
        expect(await store.countMentionsAfter(c, 1, me)).toBe(1);
        expect(await store.countMentionsAfter(c, 3, me)).toBe(0);
        expect(await store.countMentionsAfter(c, 0, third)).toBe(2);
        expect(await store.countMentionsAfter(c, 0, other)).toBe(0);
        // An edit that adds a mention counts; one that removes it no longer does.
        await store.updateMessage(ms[5]!.id, { mentions: [me], changedAt: at(8) });
        expect(await store.countMentionsAfter(c, 3, me)).toBe(1);
        await store.updateMessage(ms[0]!.id, { mentions: [], changedAt: at(9) });
        expect(await store.countMentionsAfter(c, 0, me)).toBe(2);
      });
    });

    describePinContract(() => store);

    describe('blocks', () => {
      const aBlock = (blockerId: string, blockedId: string, blockedAt: Date) => ({
        id: blockId(blockerId, blockedId),
        blockerId,
        blockedId,
        blockedAt,
      });

      it('blocks inserts once per (blocker, blocked), finds and deletes by the pair', async () => {
        const [a, b] = [newObjectId(), newObjectId()];
        const block = aBlock(a, b, new Date('2030-11-01T00:00:00Z'));
        expect(await store.insertBlock(block)).toBe(true);
        expect(await store.insertBlock({ ...block, blockedAt: new Date() })).toBe(false);
        expect(await store.findBlock(a, b)).toEqual(block);
        // Direction matters: b has not blocked a.
        expect(await store.findBlock(b, a)).toBeNull();
        expect(await store.deleteBlock(b, a)).toBe(false);
        expect(await store.deleteBlock(a, b)).toBe(true);
        expect(await store.deleteBlock(a, b)).toBe(false);
        expect(await store.findBlock(a, b)).toBeNull();
      });

      it('blocks list the blocker’s blocks newest first in keyset pages, and who blocks a user', async () => {
        const a = newObjectId();
        const t0 = Date.parse('2030-11-02T00:00:00Z');
        const targets = [newObjectId(), newObjectId(), newObjectId()];
        const blocks = targets.map((t, i) => aBlock(a, t, new Date(t0 + i * 1000)));
        for (const b of blocks) await store.insertBlock(b);
        // Another blocker's block of the same user is not a's.
        await store.insertBlock(aBlock(newObjectId(), targets[0]!, new Date(t0 + 5000)));
        const [b0, b1, b2] = blocks as [(typeof blocks)[0], (typeof blocks)[0], (typeof blocks)[0]];
        expect(await store.listBlocksByBlocker(a, null, 2)).toEqual([b2, b1]);
        expect(
          await store.listBlocksByBlocker(a, { blockedAt: b1.blockedAt, id: b1.id }, 2),
        ).toEqual([b0]);
        expect(await store.listBlocksByBlocker(newObjectId(), null, 10)).toEqual([]);
        expect((await store.listBlockerIds(targets[0]!, 10)).length).toBe(2);
        expect(await store.listBlockerIds(targets[1]!, 10)).toEqual([a]);
        expect(await store.listBlockerIds(a, 10)).toEqual([]);
      });

      it('blocks refuse sends into a marked DIRECT from both sides, consuming no seq, until cleared', async () => {
        const [a, b] = [newObjectId(), newObjectId()];
        const c = aConversation({ id: directConversationId(a, b), type: 'DIRECT', name: null });
        await store.insertConversation(c);
        await store.upsertParticipant(aParticipant(c.id, a));
        await store.upsertParticipant(aParticipant(c.id, b));
        const group = aConversation();
        await store.insertConversation(group);
        await store.upsertParticipant(aParticipant(group.id, a));
        await store.upsertParticipant(aParticipant(group.id, b));
        const now = new Date(c.createdAt.getTime() + 1000);

        await store.setConversationBlocked(c.id, true);
        for (const sender of [a, b]) {
          expect(await store.appendMessage(aMessageDraft(c.id, sender), now, 'x')).toEqual({
            kind: 'blocked',
          });
        }
        // A stranger is still refused as a non-member, and the group is unaffected.
        expect(await store.appendMessage(aMessageDraft(c.id, newObjectId()), now, 'x')).toEqual({
          kind: 'refused',
        });
        expect((await store.appendMessage(aMessageDraft(group.id, b), now, 'x')).kind).toBe(
          'appended',
        );
        if (store.appendMessages) {
          const results = await store.appendMessages(
            [aMessageDraft(c.id, a), aMessageDraft(c.id, b)],
            now,
            ['x', 'y'],
          );
          expect(results).toEqual([{ kind: 'blocked' }, { kind: 'blocked' }]);
        }
        expect(await store.findConversation(c.id)).toMatchObject({ lastSeq: 0 });
        expect(await store.listMessagesBefore(c.id, null, 10)).toEqual([]);

        await store.setConversationBlocked(c.id, false);
        const sent = await store.appendMessage(aMessageDraft(c.id, b), now, 'x');
        expect(sent.kind === 'appended' && sent.message.seq).toBe(1);
      });
    });

    describe('reactions', () => {
      const keyOf = (
        messageId: string,
        userId: string,
        emoji: string,
        conversationId?: string,
      ) => ({
        messageId,
        conversationId: conversationId ?? newObjectId(),
        messageSeq: 7,
        userId,
        emoji,
      });

      it('adds a reaction once per (message, user, emoji); a repeat changes nothing', async () => {
        const [m, u, v] = [newObjectId(), newObjectId(), newObjectId()];
        const c = newObjectId();
        const at = new Date('2030-11-01T00:00:00Z');
        expect(await store.addReaction(keyOf(m, u, '👍', c), at)).toBe(true);
        expect(await store.addReaction(keyOf(m, u, '👍', c), new Date(at.getTime() + 5))).toBe(
          false,
        );
        expect(await store.addReaction(keyOf(m, u, '🎉', c), at)).toBe(true);
        expect(await store.addReaction(keyOf(m, v, '👍', c), at)).toBe(true);
        const found = await store.listReactionsOfMessages([m]);
        expect(found).toHaveLength(3);
        expect(found.find((r) => r.userId === u && r.emoji === '👍')).toMatchObject({
          messageId: m,
          conversationId: c,
          messageSeq: 7,
          createdAt: at,
          changedAt: at,
          removedAt: null,
        });
      });

      it('removes into a tombstone, revives it on a new add, and lists only those in place', async () => {
        const [m, other, u] = [newObjectId(), newObjectId(), newObjectId()];
        const t0 = Date.parse('2030-11-02T00:00:00Z');
        expect(await store.removeReaction(keyOf(m, u, '👍'), new Date(t0))).toBe(false);
        await store.addReaction(keyOf(m, u, '👍'), new Date(t0));
        await store.addReaction(keyOf(other, u, '👍'), new Date(t0));
        expect(await store.removeReaction(keyOf(m, u, '👍'), new Date(t0 + 1))).toBe(true);
        expect(await store.removeReaction(keyOf(m, u, '👍'), new Date(t0 + 2))).toBe(false);
        expect((await store.listReactionsOfMessages([m, other])).map((r) => r.messageId)).toEqual([
          other,
        ]);
        expect(await store.addReaction(keyOf(m, u, '👍'), new Date(t0 + 3))).toBe(true);
        const [revived] = await store.listReactionsOfMessages([m]);
        expect(revived).toMatchObject({
          createdAt: new Date(t0 + 3),
          changedAt: new Date(t0 + 3),
          removedAt: null,
        });
        expect(await store.listReactionsOfMessages([])).toEqual([]);
      });

      it('lists the reaction changes of conversations after a time, tombstones included, oldest first', async () => {
        const [c1, c2, c3, m1, m2, m3, u] = [
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
          newObjectId(),
        ];
        const t0 = Date.parse('2030-11-03T00:00:00Z');
        await store.addReaction(keyOf(m1, u, '👍', c1), new Date(t0 + 10));
        await store.addReaction(keyOf(m2, u, '👍', c2), new Date(t0 + 20));
        await store.addReaction(keyOf(m3, u, '👍', c3), new Date(t0 + 15));
        await store.addReaction(keyOf(m1, u, '❤️', c1), new Date(t0 - 10));
        await store.removeReaction(keyOf(m1, u, '👍', c1), new Date(t0 + 30));
        const changed = await store.listReactionChangesSince([c1, c2], new Date(t0), 10);
        expect(changed.map((r) => [r.messageId, r.emoji, r.removedAt !== null])).toEqual([
          [m2, '👍', false],
          [m1, '👍', true],
        ]);
        expect(await store.listReactionChangesSince([c1, c2], new Date(t0), 1)).toHaveLength(1);
        expect(await store.listReactionChangesSince([c1, c2], new Date(t0 + 30), 10)).toEqual([]);
        expect(await store.listReactionChangesSince([], new Date(0), 10)).toEqual([]);
      });
    });

    describe('sync changes', () => {
      it('reads the seven change lists of a SYNC as their own methods list them', async () => {
        const [u, v, w] = [newObjectId(), newObjectId(), newObjectId()];
        const t0 = Date.parse('2030-12-01T00:00:00Z');
        const at = (ms: number): Date => new Date(t0 + ms);
        const [c1, c2, c3] = [aConversation(), aConversation(), aConversation()];
        for (const c of [c1, c2, c3]) await store.insertConversation(c);
        await store.upsertParticipant(aParticipant(c1.id, u, { joinedAt: at(-100) }));
        await store.upsertParticipant(aParticipant(c1.id, v, { joinedAt: at(-100) }));
        await store.upsertParticipant(aParticipant(c2.id, u, { joinedAt: at(-100) }));
        await store.upsertParticipant(aParticipant(c3.id, u, { joinedAt: at(-100) }));
        const sent: Message[] = [];
        for (let i = 0; i < 3; i++) {
          const appended = await store.appendMessage(aMessageDraft(c1.id, v), at(-50 + i), null);
          if (appended.kind === 'appended') sent.push(appended.message);
        }
        const [m1, m2, m3] = sent;
        if (!m1 || !m2 || !m3) throw new Error('appends failed');
        // After t0, one of each change: two edits, receipts, a join, a departure, a mute, a pin,
        // reactions (one taken back).
        await store.updateMessage(m1.id, {
          content: 'edited',
          updatedAt: at(10),
          changedAt: at(10),
        });
        await store.updateMessage(m2.id, { deletedAt: at(20), changedAt: at(20) });
        await store.advanceWatermark(c1.id, v, 'seen', { messageId: m3.id, seq: m3.seq }, at(30));
        await store.advanceWatermark(
          c1.id,
          u,
          'delivered',
          { messageId: m2.id, seq: m2.seq },
          at(31),
        );
        await store.upsertParticipant(aParticipant(c2.id, w, { joinedAt: at(40) }));
        await store.markParticipantLeft(c3.id, u, at(50));
        await store.setParticipantMute(c2.id, u, { muted: true, until: at(9_000) }, at(60));
        await store.pinMessage({
          id: pinId(c1.id, m3.id),
          conversationId: c1.id,
          messageId: m3.id,
          pinnedBy: v,
          pinnedAt: at(70),
          unpinnedAt: null,
          unpinnedBy: null,
          changedAt: at(70),
        });
        const reaction = (emoji: string) => ({
          messageId: m3.id,
          conversationId: c1.id,
          messageSeq: m3.seq,
          userId: v,
          emoji,
        });
        await store.addReaction(reaction('👍'), at(80));
        await store.addReaction(reaction('🎉'), at(81));
        await store.removeReaction(reaction('👍'), at(82));

        const query = (since: Date, limit: number): SyncChangesQuery => ({
          userId: u,
          conversationIds: [c1.id, c2.id],
          since,
          editsAfter: { createdAt: since, id: '0'.repeat(24) },
          limits: {
            edits: limit,
            receipts: limit,
            memberships: limit,
            pins: limit,
            reactions: limit,
          },
        });
        const all = await readSyncChanges(store, query(at(0), 100));
        expect(all).toEqual(await readListByList(store, query(at(0), 100)));
        // Every list holds what it should, so the comparison above covers each one.
        expect(all.edits.map((m) => m.id)).toEqual([m1.id, m2.id]);
        expect(all.receipts.map((p) => p.userId)).toEqual([v, u]);
        expect(all.memberships.map((p) => [p.conversationId, p.userId])).toEqual([[c2.id, w]]);
        expect(all.left.map((p) => p.conversationId)).toEqual([c3.id]);
        expect(all.mutes.map((p) => [p.conversationId, p.mutedUntil])).toEqual([
          [c2.id, at(9_000)],
        ]);
        expect(all.pins.map((p) => p.messageId)).toEqual([m3.id]);
        expect(all.reactions.map((r) => [r.emoji, r.removedAt])).toEqual([
          ['🎉', null],
          ['👍', at(82)],
        ]);
        // Limits cut each list in its own order; a later `since` leaves only what came after it.
        for (const [since, limit] of [
          [at(0), 1],
          [at(35), 100],
        ] as const)
          expect(await readSyncChanges(store, query(since, limit))).toEqual(
            await readListByList(store, query(since, limit)),
          );
        const none = { ...query(at(0), 100), conversationIds: [] };
        expect(await readSyncChanges(store, none)).toEqual(await readListByList(store, none));
      });
    });

    describe('sync cursors', () => {
      it('keeps a cursor until it expires', async () => {
        const now = new Date('2030-10-01T00:00:00Z');
        const cursor = {
          id: newObjectId(),
          userId: newObjectId(),
          positions: { [newObjectId()]: 7, [newObjectId()]: 0 },
          changesSince: new Date('2030-09-30T00:00:00Z'),
          createdAt: now,
          expiresAt: new Date(now.getTime() + 60_000),
        };
        await store.saveSyncCursor(cursor);
        expect(await store.findSyncCursor(cursor.id, now)).toEqual(cursor);
        expect(await store.findSyncCursor(cursor.id, cursor.expiresAt)).toBeNull();
        expect(await store.findSyncCursor(newObjectId(), now)).toBeNull();
      });

      it('keeps a cursor without positions, unchanged by what callers do to their copies', async () => {
        const now = new Date('2030-10-01T00:00:00Z');
        const conversationId = newObjectId();
        const empty = {
          id: newObjectId(),
          userId: newObjectId(),
          positions: {} as Record<string, number>,
          changesSince: new Date('2030-09-30T00:00:00Z'),
          createdAt: now,
          expiresAt: new Date(now.getTime() + 60_000),
        };
        const full = { ...empty, id: newObjectId(), positions: { [conversationId]: 3 } };
        await store.saveSyncCursor(empty);
        await store.saveSyncCursor(full);
        empty.positions[conversationId] = 9;
        full.positions[conversationId] = 9;
        const found = await store.findSyncCursor(empty.id, now);
        expect(found).toEqual({ ...empty, positions: {} });
        found!.positions[conversationId] = 9;
        found!.changesSince.setTime(0);
        expect(await store.findSyncCursor(empty.id, now)).toEqual({ ...empty, positions: {} });
        expect(await store.findSyncCursor(full.id, now)).toEqual({
          ...full,
          positions: { [conversationId]: 3 },
        });
      });
    });

    describe('under concurrency', () => {
      it('lets exactly one of 20 parallel inserts of a derived conversation id win', async () => {
        const id = directConversationId(newObjectId(), newObjectId());
        const attempts = Array.from({ length: 20 }, (_, i) =>
          aConversation({ id, type: 'DIRECT', name: `attempt-${i}` }),
        );
        const results = await Promise.all(attempts.map((c) => store.insertConversation(c)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = attempts[results.indexOf(true)];
        expect(await store.findConversation(id)).toEqual(winner);
      });

      it('lets exactly one of 20 parallel joins, and one of 20 parallel re-joins, of a pair change it', async () => {
        const c = newObjectId();
        const u = newObjectId();
        const joins = Array.from({ length: 20 }, (_, i) =>
          aParticipant(c, u, { joinedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)) }),
        );
        const joined = await Promise.all(joins.map((p) => store.upsertParticipant(p)));
        expect(joined.filter(Boolean)).toHaveLength(1);
        expect(await store.findParticipant(c, u)).toEqual(joins[joined.indexOf(true)]);

        expect(await store.markParticipantLeft(c, u, new Date('2030-02-01T00:00:00Z'))).toBe(true);
        const rejoins = Array.from({ length: 20 }, (_, i) =>
          aParticipant(c, u, { role: 'ADMIN', joinedAt: new Date(Date.UTC(2030, 2, 1, 0, 0, i)) }),
        );
        const rejoined = await Promise.all(rejoins.map((p) => store.upsertParticipant(p)));
        expect(rejoined.filter(Boolean)).toHaveLength(1);
        expect(await store.findParticipant(c, u)).toEqual(rejoins[rejoined.indexOf(true)]);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

/** A durable store tells `onCommand` of each command it sends its database, by kind. */
export function describeCommandCounting(
  name: string,
  openCounting: (onCommand: StoreCommandListener) => Promise<Store>,
): void {
  describe(`${name} command counting`, () => {
    it('tells onCommand of each read and write it sends the database', async () => {
      const kinds: string[] = [];
      const store = await openCounting((k, origin) => kinds.push(`${k} ${origin}`));
      try {
        kinds.length = 0;
        const user = aUser();
        await store.insertUser(user);
        expect(kinds).toEqual(['write request']);
        await store.findUserById(user.id);
        expect(kinds).toEqual(['write request', 'read request']);
      } finally {
        await store.close();
      }
    });

    it("marks the outbox relay's sweep and claims and the pending count as background, the rest of the outbox as requests", async () => {
      const kinds: string[] = [];
      const store = await openCounting((k, origin) => kinds.push(`${k} ${origin}`));
      try {
        const user = aUser();
        const conversation = aConversation();
        await store.insertUser(user);
        await store.insertConversation(conversation);
        const message = aMessage(conversation.id, user.id, { seq: 1 });
        await store.insertMessage(message);
        kinds.length = 0;
        const now = new Date();
        expect(
          (await store.listPendingMessageEvents(new Date(now.getTime() + 1), 10)).map((m) => m.id),
        ).toEqual([message.id]);
        expect(kinds).toEqual(['read background']);
        expect(
          await store.claimPendingMessageEvent(message.id, now, new Date(now.getTime() + 1000)),
        ).toBe(true);
        expect(kinds).toEqual(['read background', 'write background']);
        expect(await store.countPendingMessageEvents()).toBe(1);
        expect(kinds).toEqual(['read background', 'write background', 'read background']);
        // Clearing follows a send's publish: a request's write.
        await store.clearPendingMessageEvents([message.id]);
        expect(kinds.at(-1)).toBe('write request');
        expect(await store.countPendingMessageEvents()).toBe(0);
      } finally {
        await store.close();
      }
    });
  });
}
