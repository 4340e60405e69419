// SYNC through a real node (docs/PROTOCOL.md §6: SYNC / SYNC_RESULT, and its REST form), in the
// embedded and cluster modes and over both transports: a client that was away gets exactly what
// was sent meanwhile, page by page, and bad input is refused without changing anything.
import type { RunningNode } from '../../src/node';
import {
  connectClient,
  type Frame,
  type RealtimeClient,
  type Transport,
} from '../support/realtime-client';
import { nextMillisecond } from '../support/next-millisecond';
import { realtimeModes } from '../support/realtime-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

// Cluster mode writes every one of a test's 100+ sends through MongoDB: allow more than the default.
jest.setTimeout(60_000);

const transports: Transport[] = ['socket.io', 'raw'];
const base = '/api/v1/messages';
const PAGE = 30;

interface Sent {
  id: string;
  seq: number;
}

type SyncPage = { events: Frame[]; next_cursor: string | null; has_more: boolean };

const newMessagesOf = (events: Frame[], conversationId: string): Frame[] =>
  events.filter((e) => e.type === 'NEW_MESSAGE' && e.conversationId === conversationId);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(realtimeModes)('SYNC on $name', (mode) => {
  let node: RunningNode;
  let env: Awaited<ReturnType<typeof mode.setup>>;
  let api: Api;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    env = await mode.setup();
    // Each test sends over a hundred messages as fast as it can; the send limit is not under test.
    node = await startTestNode({
      ...env.env,
      RATE_LIMIT_MESSAGES_PER_SECOND: '1000',
      RATE_LIMIT_MESSAGES_BURST: '1000',
    });
    api = new Api(node.url);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await node.close();
    await env.teardown();
  });

  const connect = async (user: TestUser, transport: Transport): Promise<RealtimeClient> => {
    const c = await connectClient(node.url, user.token, transport);
    clients.push(c);
    return c;
  };

  /** Two fresh users and their DIRECT conversation. */
  const pair = async (): Promise<{ alice: TestUser; bob: TestUser; dm: string }> => {
    const [alice, bob] = await Promise.all([registerUser(api, 'sa'), registerUser(api, 'sb')]);
    const res = await alice.api.post(`${base}/direct/${bob.id}`);
    expect(res.status).toBeLessThan(300);
    return { alice, bob, dm: res.body.data.id as string };
  };

  /** Sends `count` messages, ten at a time (so seqs are reserved concurrently), by seq. */
  const sendMany = async (from: TestUser, dm: string, count: number): Promise<Sent[]> => {
    const sent: Sent[] = [];
    for (let i = 0; i < count; i += 10) {
      const batch = range(i, Math.min(i + 10, count) - 1).map(async (n) => {
        const res = await from.api.post(`${base}/conversations/${dm}/messages`, {
          content: `m${n}`,
        });
        expect(res.status).toBe(201);
        return { id: res.body.data.id as string, seq: res.body.data.seq as number };
      });
      sent.push(...(await Promise.all(batch)));
    }
    return sent.sort((a, b) => a.seq - b.seq);
  };

  /** SYNC frames from `first`, then from each next_cursor, until has_more is false. */
  const syncFrames = async (client: RealtimeClient, first: Frame): Promise<SyncPage[]> => {
    const pages: SyncPage[] = [];
    let request = first;
    for (;;) {
      const reply = await client.request(request);
      expect(reply).toMatchObject({ type: 'SYNC_RESULT', has_more: expect.any(Boolean) });
      const page = reply as unknown as SyncPage;
      pages.push(page);
      if (!page.has_more) return pages;
      if (pages.length > 20) throw new Error('SYNC kept answering has_more=true');
      request = { type: 'SYNC', since: page.next_cursor, limit: PAGE };
    }
  };

  /** Asserts the pages hold exactly `sent`, in seq order, at most PAGE a page. */
  const expectExactly = (pages: SyncPage[], dm: string, sent: Sent[]): void => {
    for (const page of pages)
      expect(newMessagesOf(page.events, dm).length).toBeLessThanOrEqual(PAGE);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(sent.length / PAGE));
    const got = pages.flatMap((p) => newMessagesOf(p.events, dm));
    expect(got.map((e) => e.seq)).toEqual(sent.map((m) => m.seq));
    expect(got.map((e) => e.messageId)).toEqual(sent.map((m) => m.id));
  };

  describe.each(transports)('over %s', (transport) => {
    it('`connected` carries a cursor; SYNC {since} from it pages exactly the 100 messages sent while away', async () => {
      const { alice, bob, dm } = await pair();
      const first = await connect(bob, transport);
      const cursor = first.frames[0]?.cursor as unknown;
      expect(first.frames[0]).toMatchObject({ type: 'connected', user_id: bob.id });
      expect(cursor).toEqual(expect.any(String));
      await first.close();

      const sent = await sendMany(alice, dm, 100);
      expect(sent.map((m) => m.seq)).toEqual(range(1, 100));

      const back = await connect(bob, transport);
      const pages = await syncFrames(back, { type: 'SYNC', since: cursor, limit: PAGE });
      expectExactly(pages, dm, sent);
      // Caught up: the last cursor has nothing more.
      const after = await syncFrames(back, { type: 'SYNC', since: pages.at(-1)?.next_cursor });
      expect(after.flatMap((p) => newMessagesOf(p.events, dm))).toEqual([]);
    });

    it('tells a returning device the current mute of conversations muted or unmuted while it was away', async () => {
      const { alice, bob, dm } = await pair();
      const carol = await registerUser(api, 'sc');
      const other = (await bob.api.post(`${base}/direct/${carol.id}`)).body.data.id as string;
      const untouched = (await bob.api.post(`${base}/direct/${(await registerUser(api, 'sd')).id}`))
        .body.data.id as string;
      const away = await connect(bob, transport);
      const cursor = away.frames[0]?.cursor as string;
      await away.close();

      const until = new Date(Date.now() + 3_600_000).toISOString();
      expect(
        (await bob.api.patch(`${base}/conversations/${dm}/mute`, { muted: true, until })).status,
      ).toBe(200);
      await bob.api.patch(`${base}/conversations/${other}/mute`, { muted: true });
      await bob.api.patch(`${base}/conversations/${other}/mute`, { muted: false });
      // Alice's mute is hers: it is not in Bob's SYNC.
      await alice.api.patch(`${base}/conversations/${dm}/mute`, { muted: true });

      const back = await connect(bob, transport);
      const events = (await syncFrames(back, { type: 'SYNC', since: cursor })).flatMap(
        (p) => p.events,
      );
      const mutes = events.filter((e) => e.type === 'CONVERSATION_MUTED');
      expect(mutes).toHaveLength(2);
      expect(mutes).toEqual(
        expect.arrayContaining([
          { type: 'CONVERSATION_MUTED', conversationId: dm, muted: true, mutedUntil: until },
          { type: 'CONVERSATION_MUTED', conversationId: other, muted: false, mutedUntil: null },
        ]),
      );
      expect(mutes.some((e) => e.conversationId === untouched)).toBe(false);
    });

    it('tells a returning device of pins and unpins while it was away, deletions included', async () => {
      const { alice, bob, dm } = await pair();
      const send = async (content: string): Promise<string> =>
        (await alice.api.post(`${base}/conversations/${dm}/messages`, { content })).body.data
          .id as string;
      const [kept, unpinned, deleted, before] = [
        await send('kept'),
        await send('unpinned'),
        await send('deleted'),
        await send('pinned before'),
      ];
      const pinPath = (m: string) => `${base}/conversations/${dm}/pins/${m}`;
      await alice.api.request('PUT', pinPath(before));
      const away = await connect(bob, transport);
      const cursor = away.frames[0]?.cursor as string;
      await away.close();

      for (const m of [kept, unpinned, deleted]) await alice.api.request('PUT', pinPath(m));
      await alice.api.delete(pinPath(unpinned));
      await alice.api.delete(`${base}/conversations/${dm}/messages/${deleted}`);

      const back = await connect(bob, transport);
      const events = (await syncFrames(back, { type: 'SYNC', since: cursor })).flatMap(
        (p) => p.events,
      );
      const pins = events.filter(
        (e) => e.type === 'MESSAGE_PINNED' || e.type === 'MESSAGE_UNPINNED',
      );
      expect(pins).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'MESSAGE_PINNED', messageId: kept, userId: alice.id }),
          expect.objectContaining({
            type: 'MESSAGE_UNPINNED',
            messageId: unpinned,
            userId: alice.id,
          }),
          expect.objectContaining({
            type: 'MESSAGE_UNPINNED',
            messageId: deleted,
            userId: alice.id,
          }),
        ]),
      );
      // Changes just before the cursor may repeat (the overlap), each as it stands now.
      expect(pins.filter((e) => e.messageId === kept || e.messageId === before)).not.toContainEqual(
        expect.objectContaining({ type: 'MESSAGE_UNPINNED' }),
      );
      expect(pins.filter((e) => e.messageId === unpinned)).toHaveLength(1);
      expect(pins.every((e) => e.conversationId === dm)).toBe(true);
    });

    it('gives a returning device the mentions of messages sent, and edits made, while it was away', async () => {
      const [alice, bob, carol] = await Promise.all([
        registerUser(api, 'ma'),
        registerUser(api, 'mb'),
        registerUser(api, 'mc'),
      ]);
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'sync mentions',
          participant_ids: [bob.id, carol.id],
        })
      ).body.data.id as string;
      const messages = `${base}/conversations/${group}/messages`;
      const held = (await alice.api.post(messages, { content: 'before you left' })).body.data
        .id as string;
      const away = await connect(bob, transport);
      const cursor = away.frames[0]?.cursor as string;
      await away.close();

      const named = (await alice.api.post(messages, { content: `hey @${bob.username}` })).body.data
        .id as string;
      const picked = (
        await alice.api.post(messages, { content: 'for you two', mentions: [carol.id, bob.id] })
      ).body.data.id as string;
      const plain = (await alice.api.post(messages, { content: 'nobody' })).body.data.id as string;
      const edited = await alice.api.patch(`${messages}/${held}`, {
        content: `before you left, @${carol.username}`,
      });
      expect(edited.status).toBe(200);

      const back = await connect(bob, transport);
      const events = (await syncFrames(back, { type: 'SYNC', since: cursor })).flatMap(
        (p) => p.events,
      );
      const mentionsOf = (id: string) =>
        newMessagesOf(events, group).find((e) => e.messageId === id)?.mentions as unknown;
      expect(mentionsOf(named)).toEqual([bob.id]);
      // Both kept (in participant order, which is not under test here), whatever order was named.
      expect([...(mentionsOf(picked) as string[])].sort()).toEqual([bob.id, carol.id].sort());
      expect(mentionsOf(plain)).toEqual([]);
      expect(events.filter((e) => e.type === 'MESSAGE_UPDATED' && e.messageId === held)).toEqual([
        expect.objectContaining({
          conversationId: group,
          content: `before you left, @${carol.username}`,
          mentions: [carol.id],
        }),
      ]);
    });

    it('tells a returning device of reactions added and removed while it was away, each message as it stands now', async () => {
      const { alice, bob, dm } = await pair();
      const messages = `${base}/conversations/${dm}/messages`;
      const send = async (content: string): Promise<string> =>
        (await alice.api.post(messages, { content })).body.data.id as string;
      const react = (user: TestUser, m: string, emoji: string, on = true) =>
        user.api.request(
          on ? 'PUT' : 'DELETE',
          `${messages}/${m}/reactions/${encodeURIComponent(emoji)}`,
        );
      const [joined, undone, untouched, toggled] = [
        await send('joined'),
        await send('undone'),
        await send('untouched'),
        await send('toggled'),
      ];
      await react(bob, joined, '👍');
      const away = await connect(bob, transport);
      const cursor = away.frames[0]?.cursor as string;
      await away.close();

      // Meanwhile (bob's other device included): alice joins bob's 👍 and adds 🎉; alice adds and
      // takes back 🔥; bob reacts ❤️ elsewhere and takes it back, then again; a new message comes
      // with a reaction of its own.
      await react(alice, joined, '👍');
      // 🎉 is meant as joined's latest change: changes list by (time, reaction id), a hash, so
      // in one millisecond with the 👍 either could come last.
      await nextMillisecond();
      await react(alice, joined, '🎉');
      await react(alice, undone, '🔥');
      await react(alice, undone, '🔥', false);
      for (const on of [true, false, true]) await react(bob, toggled, '❤️', on);
      const fresh = await send('fresh');
      await react(alice, fresh, '😀');

      const back = await connect(bob, transport);
      const events = (await syncFrames(back, { type: 'SYNC', since: cursor })).flatMap(
        (p) => p.events,
      );
      const reactionsOf = (m: string) =>
        events.filter((e) => e.type === 'MESSAGE_REACTIONS' && e.messageId === m);
      expect(reactionsOf(joined)).toEqual([
        {
          type: 'MESSAGE_REACTIONS',
          conversationId: dm,
          messageId: joined,
          seq: 1,
          userId: alice.id,
          emoji: '🎉',
          action: 'added',
          reactions: [
            { emoji: '👍', count: 2, me: true },
            { emoji: '🎉', count: 1, me: false },
          ],
        },
      ]);
      expect(reactionsOf(undone)).toEqual([
        expect.objectContaining({
          seq: 2,
          userId: alice.id,
          emoji: '🔥',
          action: 'removed',
          reactions: [],
        }),
      ]);
      expect(reactionsOf(toggled)).toEqual([
        expect.objectContaining({
          userId: bob.id,
          emoji: '❤️',
          action: 'added',
          reactions: [{ emoji: '❤️', count: 1, me: true }],
        }),
      ]);
      expect(reactionsOf(untouched)).toEqual([]);
      // The new message carries its reactions itself, and no MESSAGE_REACTIONS of its own.
      expect(newMessagesOf(events, dm)).toEqual([
        expect.objectContaining({
          messageId: fresh,
          reactions: [{ emoji: '😀', count: 1, me: false }],
        }),
      ]);
      expect(reactionsOf(fresh)).toEqual([]);
    });

    it('SYNC {positions} pages exactly the messages after what the client holds', async () => {
      const { alice, bob, dm } = await pair();
      const held = await sendMany(alice, dm, 20);
      const missed = await sendMany(alice, dm, 100);
      expect(missed.map((m) => m.seq)).toEqual(range(21, 120));
      const c = await connect(bob, transport);
      const pages = await syncFrames(c, {
        type: 'SYNC',
        positions: { [dm]: held.at(-1)?.seq },
        limit: PAGE,
      });
      expectExactly(pages, dm, missed);
    });

    it('refuses bad SYNC frames with VALIDATION and changes nothing', async () => {
      const { alice, bob, dm } = await pair();
      const c = await connect(bob, transport);
      const cursor = c.frames[0]?.cursor as string;
      const sent = await sendMany(alice, dm, 3);
      const before = await syncFrames(c, { type: 'SYNC', since: cursor });
      expect(before.flatMap((p) => newMessagesOf(p.events, dm)).map((e) => e.seq)).toEqual([
        1, 2, 3,
      ]);

      const stranger = await registerUser(api, 'sx');
      const strangersCursor = (await connect(stranger, transport)).frames[0]?.cursor as string;
      for (const bad of [
        { since: 'garbage!' },
        { since: strangersCursor },
        { positions: { 'not-an-id': 1 } },
        { positions: { [dm]: -1 } },
        { positions: { [dm]: 1.5 } },
        { positions: [1] },
        { limit: 0 },
        { limit: 501 },
      ]) {
        const reply = await c.request({ type: 'SYNC', ...bad });
        expect({ bad, reply }).toMatchObject({ bad, reply: { type: 'ERROR', code: 'VALIDATION' } });
      }
      // Nothing moved: the same cursor answers the same, the conversation holds the same three.
      const after = await syncFrames(c, { type: 'SYNC', since: cursor });
      expect(after.flatMap((p) => newMessagesOf(p.events, dm))).toEqual(
        before.flatMap((p) => newMessagesOf(p.events, dm)),
      );
      const listed = await bob.api.get(`${base}/conversations/${dm}/messages`);
      expect((listed.body.data as Sent[]).map((m) => m.id)).toEqual(sent.map((m) => m.id));
      expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
    });
  });

  describe('over REST', () => {
    it('GET /sync?since= and POST /sync {positions} answer what the SYNC frame does', async () => {
      const { alice, bob, dm } = await pair();
      const c = await connect(bob, 'raw');
      const cursor = c.frames[0]?.cursor as string;
      const sent = await sendMany(alice, dm, 50);

      const got = await bob.api.get(
        `${base}/sync?since=${encodeURIComponent(cursor)}&limit=${PAGE}`,
      );
      expect(got.status).toBe(200);
      expect(got.body).toEqual({
        success: true,
        data: { events: expect.any(Array), next_cursor: expect.any(String), has_more: true },
      });
      const frame = (await c.request({
        type: 'SYNC',
        since: cursor,
        limit: PAGE,
      })) as unknown as SyncPage;
      expect(got.body.data.events).toEqual(frame.events);
      expect(newMessagesOf(got.body.data.events as Frame[], dm).map((e) => e.seq)).toEqual(
        range(1, PAGE),
      );

      const posted = await bob.api.post(`${base}/sync`, { positions: { [dm]: 10 }, limit: PAGE });
      expect(posted.status).toBe(200);
      expect(posted.body).toEqual({
        success: true,
        data: { events: expect.any(Array), next_cursor: expect.any(String), has_more: true },
      });
      const rest = await bob.api.get(
        `${base}/sync?since=${encodeURIComponent(posted.body.data.next_cursor as string)}&limit=${PAGE}`,
      );
      expect(rest.body.data.has_more).toBe(false);
      const all = [...posted.body.data.events, ...rest.body.data.events] as Frame[];
      expect(newMessagesOf(all, dm).map((e) => e.messageId)).toEqual(
        sent.slice(10).map((m) => m.id),
      );
    });

    it('refuses bad input with 400 VALIDATION and changes nothing', async () => {
      const { alice, bob, dm } = await pair();
      const c = await connect(bob, 'raw');
      const cursor = c.frames[0]?.cursor as string;
      const sent = await sendMany(alice, dm, 3);
      const answer = async (): Promise<Frame[]> =>
        (await bob.api.get(`${base}/sync?since=${encodeURIComponent(cursor)}`)).body.data
          .events as Frame[];
      const before = newMessagesOf(await answer(), dm);
      expect(before.map((e) => e.seq)).toEqual([1, 2, 3]);

      const since = encodeURIComponent(cursor);
      const refusals = [
        await bob.api.get(`${base}/sync?since=garbage`),
        await bob.api.get(`${base}/sync?since=${since}&extra=1`),
        await bob.api.get(`${base}/sync?since=${since}&since=${since}`),
        await bob.api.get(`${base}/sync?limit=0`),
        await bob.api.get(`${base}/sync?limit=501`),
        await bob.api.get(`${base}/sync?limit=ten`),
        await alice.api.get(`${base}/sync?since=${since}`),
        await bob.api.post(`${base}/sync`, { positions: { 'not-an-id': 1 } }),
        await bob.api.post(`${base}/sync`, { positions: { [dm]: -1 } }),
        await bob.api.post(`${base}/sync`, { positions: { [dm]: '3' } }),
        await bob.api.post(`${base}/sync`, { since: 'garbage' }),
        await bob.api.post(`${base}/sync`, { limit: 501 }),
        await bob.api.post(`${base}/sync?since=${since}`, {}),
        await bob.api.request('POST', `${base}/sync`, '{"positions":', {
          'content-type': 'application/json',
        }),
      ];
      for (const [i, res] of refusals.entries()) {
        expect({ i, status: res.status, code: res.body.code, success: res.body.success }).toEqual({
          i,
          status: 400,
          code: 'VALIDATION',
          success: false,
        });
      }
      expect(newMessagesOf(await answer(), dm)).toEqual(before);
      const listed = await bob.api.get(`${base}/conversations/${dm}/messages`);
      expect((listed.body.data as Sent[]).map((m) => m.id)).toEqual(sent.map((m) => m.id));
    });
  });
});
