// GET /messages/search/messages through the real node, on every store (docs/PROTOCOL.md §5.14).
// On a MongoDB-wire server without $text (the CongoDB stand-in) the cases are skipped, saying why.
import { MongoStore } from '../../src/adapters/store/mongo/mongo-store';
import { newObjectId } from '../../src/domain/ids';
import type { RunningNode } from '../../src/node';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { lacksMongoTextSearch } from '../support/text-search';

/** Why this setup cannot search (its MongoDB has no text search), or null. */
async function skipReasonOf(env: Record<string, string>): Promise<string | null> {
  const url = env.MONGODB_URL;
  if (url === undefined) return null;
  const store = await MongoStore.connect(url);
  try {
    await store.searchMessages([newObjectId()], ['probe'], null, 1);
    return null;
  } catch (err) {
    const reason = lacksMongoTextSearch(err);
    if (reason === null) throw err;
    return reason;
  } finally {
    await store.close();
  }
}

describe.each(storeModes)('message search over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  let group: string;
  let skipReason: string | null = null;
  const base = '/api/v1/messages';
  const msgs = (c: string) => `${base}/conversations/${c}/messages`;
  const search = (as: TestUser, query: string) => as.api.get(`${base}/search/messages?${query}`);
  const send = async (as: TestUser, c: string, content: string): Promise<string> => {
    const res = await as.api.post(msgs(c), { content });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };

  beforeAll(async () => {
    setup = await mode.setup();
    skipReason = await skipReasonOf(setup.env);
    if (skipReason !== null) console.warn(`${mode.name} message search skipped: ${skipReason}`);
    node = await startTestNode(setup.env);
    api = new Api(node.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
    ]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
    group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        participant_ids: [bob.id, carol.id],
        name: 'crew',
      })
    ).body.data.id;
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  /** A case that needs text search: skipped (saying why) where the backend has none. */
  const searchCase = (title: string, body: () => Promise<void>): void => {
    it(title, async () => {
      if (skipReason !== null) {
        console.warn(`skipped "${title}" on ${mode.name}: ${skipReason}`);
        return;
      }
      await body();
    });
  };

  searchCase(
    "finds words in the caller's conversations, newest first, as history shows them",
    async () => {
      const first = await send(alice, dm, 'Pizza tonight?');
      const second = await send(carol, group, 'who wants PIZZA');
      await send(bob, dm, 'pizzas are great'); // another word
      const res = await search(bob, 'q=pizza');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, has_more: false, next_cursor: null });
      expect(res.body.data.map((m: { id: string }) => m.id)).toEqual([second, first]);
      // The same view of a message as the history page gives.
      const history = await bob.api.get(msgs(group));
      expect(res.body.data[0]).toEqual(
        history.body.data.find((m: { id: string }) => m.id === second),
      );
      expect(res.body.data[0].conversation_id).toBe(group);
      // Every term is required; case and punctuation do not matter.
      expect(
        (await search(bob, 'q=PIZZA%20tonight!')).body.data.map((m: { id: string }) => m.id),
      ).toEqual([first]);
    },
  );

  searchCase('never searches a conversation the caller is not (or no longer) in', async () => {
    const secret = await send(alice, dm, 'secret plans');
    expect((await search(carol, 'q=secret')).body.data).toEqual([]);
    const groupNote = await send(alice, group, 'banana bread');
    expect((await search(carol, 'q=banana')).body.data.map((m: { id: string }) => m.id)).toEqual([
      groupNote,
    ]);
    expect((await search(alice, 'q=secret')).body.data.map((m: { id: string }) => m.id)).toEqual([
      secret,
    ]);
    // Carol leaves: the group's messages, old and new, are gone from her results.
    expect(
      (await carol.api.delete(`${base}/conversations/${group}/participants/${carol.id}`)).status,
    ).toBe(200);
    await send(alice, group, 'banana split');
    expect((await search(carol, 'q=banana')).body.data).toEqual([]);
    const res = await search(carol, `q=banana&conversation_id=${group}`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('NOT_PARTICIPANT');
    // Back in, she sees the group's messages again, as its history shows them.
    expect(
      (
        await alice.api.post(`${base}/conversations/${group}/participants`, {
          user_ids: [carol.id],
        })
      ).status,
    ).toBeLessThan(300);
    expect((await search(carol, 'q=banana')).body.data).toHaveLength(
      (await carol.api.get(msgs(group))).body.data.filter((m: { content: string | null }) =>
        m.content?.includes('banana'),
      ).length,
    );
  });

  searchCase(
    'narrows to one conversation, and leaves out deleted messages and old words',
    async () => {
      const inDm = await send(alice, dm, 'kiwi in the dm');
      const inGroup = await send(alice, group, 'kiwi in the group');
      const ids = async (q: string) =>
        (await search(alice, q)).body.data.map((m: { id: string }) => m.id);
      expect(await ids(`q=kiwi&conversation_id=${dm}`)).toEqual([inDm]);
      expect(await ids('q=kiwi')).toEqual([inGroup, inDm]);
      expect((await alice.api.delete(`${msgs(group)}/${inGroup}`)).status).toBe(200);
      expect(await ids('q=kiwi')).toEqual([inDm]);
      expect(
        (await alice.api.patch(`${msgs(dm)}/${inDm}`, { content: 'mango in the dm' })).status,
      ).toBe(200);
      expect(await ids('q=kiwi')).toEqual([]);
      expect(await ids('q=mango')).toEqual([inDm]);
    },
  );

  searchCase('pages with an opaque cursor, never skipping or repeating a hit', async () => {
    const sent: string[] = [];
    for (let i = 0; i < 5; i++)
      sent.push(await send(i % 2 ? bob : alice, i % 2 ? dm : group, `lemon ${i}`));
    const seen: string[] = [];
    let query = 'q=lemon&limit=2';
    for (let pages = 0; pages < 5; pages++) {
      const res = await search(alice, query);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      if (!res.body.has_more) break;
      expect(res.body.data).toHaveLength(2);
      query = `q=lemon&limit=2&cursor=${res.body.next_cursor as string}`;
    }
    expect(seen).toEqual([...sent].reverse());
  });

  it.each([
    ['no q', ''],
    ['a blank q', 'q=%20%20'],
    ['a q of 201 characters', `q=${'a'.repeat(201)}`],
    ['a q without a word', 'q=%21%3F'],
    ['limit 0', 'q=a&limit=0'],
    ['limit 51', 'q=a&limit=51'],
    ['a malformed conversation id', 'q=a&conversation_id=nope'],
    ['a forged cursor', 'q=a&cursor=bm9wZQ'],
    ['an unknown key', 'q=a&sort=asc'],
    ['a repeated q', 'q=a&q=b'],
    ['a bracketed key', 'q[$ne]=a'],
  ])('refuses %s with 400 VALIDATION', async (_what, query) => {
    const res = await search(alice, query);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
    expect(res.body.detail).toMatch(/query|cursor/);
  });

  it('answers 404 for an unknown conversation and 401 without a token', async () => {
    const unknown = await search(alice, `q=a&conversation_id=${newObjectId()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect((await api.get(`${base}/search/messages?q=a`)).status).toBe(401);
  });

  searchCase('takes a q of 200 characters', async () => {
    const res = await search(alice, `q=${'b'.repeat(200)}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });
});
