// Reactions over REST through the real node, on every store: PUT/DELETE of
// …/messages/{message_id}/reactions/{emoji}, message views, refusals, and SYNC.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { nextMillisecond } from '../support/next-millisecond';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe.each(storeModes)('reactions over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let group: string;
  const base = '/api/v1/messages';
  const msgs = (c: string) => `${base}/conversations/${c}/messages`;
  const reaction = (c: string, m: string, emoji: string) =>
    `${msgs(c)}/${m}/reactions/${encodeURIComponent(emoji)}`;
  const send = async (user: TestUser, c: string, content: string): Promise<string> => {
    const res = await user.api.post(msgs(c), { content });
    expect(res.status).toBe(201);
    return res.body.data.id as string;
  };

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode(setup.env);
    api = new Api(node.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
    ]);
    const created = await alice.api.post(`${base}/conversations`, {
      type: 'GROUP',
      name: 'reactors',
      participant_ids: [bob.id],
    });
    group = created.body.data.id;
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  it('adds a reaction once per user per emoji, and answers the aggregate as the caller sees it', async () => {
    const m = await send(alice, group, 'react to me');
    const first = await alice.api.request('PUT', reaction(group, m, '👍'));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      success: true,
      data: {
        conversation_id: group,
        message_id: m,
        reactions: [{ emoji: '👍', count: 1, me: true }],
      },
    });
    // Idempotent: the same reaction again changes nothing.
    const again = await alice.api.request('PUT', reaction(group, m, '👍'));
    expect(again.body.data.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
    await bob.api.request('PUT', reaction(group, m, '👍'));
    const byBob = await bob.api.request('PUT', reaction(group, m, '👨‍👩‍👧'));
    expect(byBob.body.data.reactions).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '👨‍👩‍👧', count: 1, me: true },
    ]);

    // Views: the history page shows the same, with `me` for its reader.
    const page = await alice.api.get(msgs(group));
    const viewed = (page.body.data as { id: string; reactions: unknown }[]).find((x) => x.id === m);
    expect(viewed?.reactions).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '👨‍👩‍👧', count: 1, me: false },
    ]);

    const removed = await alice.api.delete(reaction(group, m, '👍'));
    expect(removed.status).toBe(200);
    expect(removed.body.data.reactions).toEqual([
      { emoji: '👍', count: 1, me: false },
      { emoji: '👨‍👩‍👧', count: 1, me: false },
    ]);
    // Removing what is not there is a no-op, not an error.
    expect((await alice.api.delete(reaction(group, m, '👍'))).status).toBe(200);
    expect((await alice.api.delete(reaction(group, m, '🎉'))).body.data.reactions).toHaveLength(2);
    const bobRemoves = await bob.api.delete(reaction(group, m, '👨‍👩‍👧'));
    expect(bobRemoves.body.data.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
  });

  it('refuses a 51st different emoji on a message (409 CONFLICT) but still lets users join one, or repeat theirs', async () => {
    const m = await send(alice, group, 'fifty and no more');
    // 50 different emoticons, U+1F600 onwards, shared between two users.
    const emojis = Array.from({ length: 50 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const [i, emoji] of emojis.entries()) {
      const res = await (i % 2 === 0 ? alice : bob).api.request('PUT', reaction(group, m, emoji));
      expect({ emoji, status: res.status }).toEqual({ emoji, status: 200 });
    }
    const full = emojis.map((emoji, i) => ({ emoji, count: 1, me: i % 2 === 0 }));
    const view = async () => {
      const page = await alice.api.get(msgs(group));
      return (page.body.data as { id: string; reactions: unknown }[]).find((x) => x.id === m)
        ?.reactions;
    };
    expect(await view()).toEqual(full);

    const extra = String.fromCodePoint(0x1f600 + 50);
    for (const who of [alice, bob]) {
      const refused = await who.api.request('PUT', reaction(group, m, extra));
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ success: false, code: 'CONFLICT' });
    }
    expect(await view()).toEqual(full);
    // A repeat of one's own is idempotent at the cap; joining another's adds to it.
    const repeat = await alice.api.request('PUT', reaction(group, m, emojis[0]!));
    expect(repeat.status).toBe(200);
    expect(repeat.body.data.reactions).toEqual(full);
    const joined = await alice.api.request('PUT', reaction(group, m, emojis[1]!));
    expect(joined.status).toBe(200);
    expect(joined.body.data.reactions[1]).toEqual({ emoji: emojis[1], count: 2, me: true });
    // Freeing a slot (the last user of an emoji leaves it) lets a new one in.
    await alice.api.delete(reaction(group, m, emojis[0]!));
    const fits = await bob.api.request('PUT', reaction(group, m, extra));
    expect(fits.status).toBe(200);
    expect(fits.body.data.reactions).toHaveLength(50);
    expect(fits.body.data.reactions.at(-1)).toEqual({ emoji: extra, count: 1, me: true });
  });

  it.each([
    ['whitespace', 'a b'],
    ['a control character', 'x\u0007'],
    ['too long', 'x'.repeat(33)],
    ['too many characters', 'abcdefghi'],
  ])('refuses an emoji with %s (400 VALIDATION), changing nothing', async (_what, emoji) => {
    const m = await send(alice, group, 'bounded');
    const res = await alice.api.request('PUT', reaction(group, m, emoji));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
    const page = await alice.api.get(msgs(group));
    const viewed = (page.body.data as { id: string; reactions: unknown }[]).find((x) => x.id === m);
    expect(viewed?.reactions).toEqual([]);
  });

  it('refuses outsiders (403), unknown or other-conversation messages (404) and deleted ones (409)', async () => {
    const m = await send(alice, group, 'guarded');
    const outsider = await carol.api.request('PUT', reaction(group, m, '👍'));
    expect(outsider.status).toBe(403);
    expect(outsider.body.code).toBe('NOT_PARTICIPANT');
    const unknown = await alice.api.request('PUT', reaction(group, newObjectId(), '👍'));
    expect(unknown.status).toBe(404);
    const dm = (await alice.api.post(`${base}/direct/${carol.id}`)).body.data.id as string;
    const elsewhere = await alice.api.request('PUT', reaction(dm, m, '👍'));
    expect(elsewhere.status).toBe(404);
    expect((await alice.api.request('PUT', reaction(group, 'nope', '👍'))).status).toBe(400);
    await alice.api.request('PUT', reaction(group, m, '👍'));
    expect((await alice.api.delete(`${msgs(group)}/${m}`)).status).toBe(200);
    const onDeleted = await bob.api.request('PUT', reaction(group, m, '🎉'));
    expect(onDeleted.status).toBe(409);
    expect(onDeleted.body.code).toBe('CONFLICT');
    const page = await bob.api.get(msgs(group));
    const viewed = (page.body.data as { id: string; reactions: unknown }[]).find((x) => x.id === m);
    expect(viewed?.reactions).toEqual([]);
  });

  it('SYNC from a cursor reports each message whose reactions changed, as it stands now', async () => {
    const m1 = await send(alice, group, 'sync one');
    const m2 = await send(alice, group, 'sync two');
    await bob.api.request('PUT', reaction(group, m2, '🔥'));
    const start = await alice.api.get(`${base}/sync`);
    expect(start.status).toBe(200);
    const cursor = start.body.data.next_cursor as string;
    await bob.api.request('PUT', reaction(group, m1, '👍'));
    // Alice's is meant as m1's latest change: changes list by (time, reaction id), a hash, so in
    // one millisecond with bob's either could come last.
    await nextMillisecond();
    await alice.api.request('PUT', reaction(group, m1, '👍'));
    await bob.api.delete(reaction(group, m2, '🔥'));
    const res = await alice.api.get(`${base}/sync?since=${cursor}`);
    const events = (res.body.data.events as { type: string; messageId?: string }[]).filter(
      (e) => e.type === 'MESSAGE_REACTIONS',
    );
    expect(events).toEqual(
      expect.arrayContaining([
        {
          type: 'MESSAGE_REACTIONS',
          conversationId: group,
          messageId: m1,
          seq: expect.any(Number),
          userId: alice.id,
          emoji: '👍',
          action: 'added',
          reactions: [{ emoji: '👍', count: 2, me: true }],
        },
        {
          type: 'MESSAGE_REACTIONS',
          conversationId: group,
          messageId: m2,
          seq: expect.any(Number),
          userId: bob.id,
          emoji: '🔥',
          action: 'removed',
          reactions: [],
        },
      ]),
    );
    expect(events.filter((e) => e.messageId === m1)).toHaveLength(1);
  });
});
