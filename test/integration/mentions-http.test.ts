// Mentions over REST on every store: who a send or an edit mentions, and the unread mention counts.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe.each(storeModes)('mentions over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let group: string;
  const base = '/api/v1/messages';
  const msgs = (c: string) => `${base}/conversations/${c}/messages`;

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode(setup.env);
    api = new Api(node.url);
    [alice, bob, carol, dave] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
      registerUser(api, 'dave'),
    ]);
    group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'mentions',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  const counts = async (user: TestUser, conversation: string) => {
    const detail = (await user.api.get(`${base}/conversations/${conversation}`)).body.data;
    const row = (await user.api.get(`${base}/conversations`)).body.data.find(
      (c: { id: string }) => c.id === conversation,
    );
    // The list and the detail agree.
    expect([row.unread_count, row.unread_mention_count]).toEqual([
      detail.unread_count,
      detail.unread_mention_count,
    ]);
    return { unread: detail.unread_count, mentions: detail.unread_mention_count };
  };

  it('resolves @usernames (any case, trailing punctuation) and explicit ids to current participants only', async () => {
    const res = await alice.api.post(msgs(group), {
      content: `hi @${bob.username.toUpperCase()}, and @${dave.username}. mail x@${carol.username}`,
      mentions: [carol.id, dave.id, newObjectId(), alice.id],
    });
    expect(res.status).toBe(201);
    // dave is no participant, the unknown id names nobody, the sender never mentions herself.
    expect([...res.body.data.mentions].sort()).toEqual([bob.id, carol.id].sort());
    const page = (await bob.api.get(msgs(group))).body.data;
    expect(page[page.length - 1]).toMatchObject({ id: res.body.data.id });
    expect([...page[page.length - 1].mentions].sort()).toEqual([bob.id, carol.id].sort());

    const plain = await alice.api.post(msgs(group), { content: 'no one in particular' });
    expect(plain.body.data.mentions).toEqual([]);
    const trailing = await alice.api.post(msgs(group), { content: `thanks @${carol.username}.` });
    expect(trailing.body.data.mentions).toEqual([carol.id]);
  });

  it('counts unread mentions exactly by the seen watermark, never the reader’s own', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'counting',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    expect(await counts(bob, conv)).toEqual({ unread: 0, mentions: 0 });
    const m1 = (await alice.api.post(msgs(conv), { content: `@${bob.username} one` })).body.data;
    await alice.api.post(msgs(conv), { content: 'two' });
    const m3 = (await carol.api.post(msgs(conv), { content: 'three', mentions: [bob.id] })).body
      .data;
    await bob.api.post(msgs(conv), { content: `me @${bob.username}`, mentions: [bob.id] });
    expect(await counts(bob, conv)).toEqual({ unread: 3, mentions: 2 });
    expect(await counts(carol, conv)).toEqual({ unread: 3, mentions: 0 });

    const seen = await bob.api.patch(`${base}/conversations/${conv}/seen?message_id=${m1.id}`);
    expect(seen.body.data).toEqual({
      conversation_id: conv,
      last_seen_message_id: m1.id,
      unread_count: 2,
      unread_mention_count: 1,
    });
    // A deleted mention no longer counts.
    expect((await carol.api.delete(`${msgs(conv)}/${m3.id}`)).status).toBe(200);
    expect(await counts(bob, conv)).toEqual({ unread: 1, mentions: 0 });
  });

  it('re-resolves mentions on an edit: an added @ counts, explicit ids replace the old ones', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'edits',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    const m = (await alice.api.post(msgs(conv), { content: 'hello' })).body.data;
    expect(await counts(bob, conv)).toEqual({ unread: 1, mentions: 0 });
    const edited = await alice.api.patch(`${msgs(conv)}/${m.id}`, {
      content: `hello @${bob.username}`,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.data.mentions).toEqual([bob.id]);
    expect(await counts(bob, conv)).toEqual({ unread: 1, mentions: 1 });
    // Without ids, those mentioned stay; with ids, the content's names and the ids decide.
    const kept = await alice.api.patch(`${msgs(conv)}/${m.id}`, { content: 'hello again' });
    expect(kept.body.data.mentions).toEqual([bob.id]);
    const replaced = await alice.api.patch(`${msgs(conv)}/${m.id}`, {
      content: 'hello again',
      mentions: [carol.id],
    });
    expect(replaced.body.data.mentions).toEqual([carol.id]);
    expect(await counts(bob, conv)).toEqual({ unread: 1, mentions: 0 });
    expect(await counts(carol, conv)).toEqual({ unread: 1, mentions: 1 });
  });

  it('refuses bad mentions with 400 VALIDATION, storing nothing', async () => {
    const before = (await alice.api.get(msgs(group))).body.data.length;
    const tooMany = Array.from({ length: 51 }, () => newObjectId());
    for (const mentions of [['nope'], tooMany, 'x', [42]]) {
      const res = await alice.api.post(msgs(group), { content: 'hi', mentions });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION');
      expect(res.body.detail).toMatch(/mentions/);
    }
    expect((await alice.api.get(msgs(group))).body.data.length).toBe(before);
  });
});
