// REST blocking through the real node, on every store: block, list, unblock, and what a block
// refuses (opening and writing to the pair's DIRECT, finding the blocker in search); groups are
// unaffected.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe.each(storeModes)('blocking over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode(setup.env);
    api = new Api(node.url);
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  const base = '/api/v1/messages';
  const block = (by: TestUser, user: string) => by.api.request('PUT', `${base}/blocks/${user}`);
  const unblock = (by: TestUser, user: string) => by.api.delete(`${base}/blocks/${user}`);
  const send = (by: TestUser, conversationId: string, content = 'hi') =>
    by.api.post(`${base}/conversations/${conversationId}/messages`, { content });
  /** Three fresh users, named after the test. */
  const users = (prefix: string): Promise<[TestUser, TestUser, TestUser]> =>
    Promise.all([
      registerUser(api, `${prefix}a`),
      registerUser(api, `${prefix}b`),
      registerUser(api, `${prefix}c`),
    ]);

  it('blocks idempotently, lists the blocks newest first with a cursor, and unblocks', async () => {
    const [alice, bob, carol] = await users('blk');
    const first = await block(alice, bob.id);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      success: true,
      data: {
        user: { id: bob.id, username: bob.username, avatar_url: null },
        blocked: true,
        blocked_at: expect.any(String),
      },
    });
    // Again: still 200, and the block keeps its first time.
    const again = await block(alice, bob.id);
    expect(again.status).toBe(200);
    expect(again.body.data.blocked_at).toBe(first.body.data.blocked_at);
    await block(alice, carol.id);

    // Two pages of one: both blocks, none twice, newest first (carol's came later, or in the
    // same millisecond, where the id breaks the tie).
    const page1 = await alice.api.get(`${base}/blocks?limit=1`);
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const page2 = await alice.api.get(`${base}/blocks?limit=1&cursor=${page1.body.next_cursor}`);
    expect(page2.body).toMatchObject({ has_more: false, next_cursor: null });
    const listed = [...page1.body.data, ...page2.body.data] as {
      user: { id: string };
      blocked_at: string;
    }[];
    expect(listed.map((b) => b.user.id).sort()).toEqual([bob.id, carol.id].sort());
    expect(Date.parse(listed[0]!.blocked_at)).toBeGreaterThanOrEqual(
      Date.parse(listed[1]!.blocked_at),
    );
    expect(listed.find((b) => b.user.id === bob.id)?.blocked_at).toBe(first.body.data.blocked_at);
    // Blocks are the blocker's own: bob sees none.
    expect((await bob.api.get(`${base}/blocks`)).body.data).toEqual([]);

    const undone = await unblock(alice, bob.id);
    expect(undone.status).toBe(200);
    expect(undone.body.data).toMatchObject({
      user: { id: bob.id },
      blocked: false,
      blocked_at: null,
    });
    expect((await unblock(alice, bob.id)).status).toBe(200);
    const left = await alice.api.get(`${base}/blocks`);
    expect(left.body.data.map((b: { user: { id: string } }) => b.user.id)).toEqual([carol.id]);
  });

  it('refuses blocking oneself (400), unknown users (404) and malformed ids (400), changing nothing', async () => {
    const [alice] = await users('blkself');
    const self = await block(alice, alice.id);
    expect(self.status).toBe(400);
    expect(self.body).toMatchObject({ success: false, code: 'VALIDATION' });
    expect((await unblock(alice, alice.id)).status).toBe(400);
    const unknown = await block(alice, newObjectId());
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect((await unblock(alice, newObjectId())).status).toBe(404);
    expect((await block(alice, 'nope')).status).toBe(400);
    expect((await alice.api.get(`${base}/blocks?limit=0`)).status).toBe(400);
    expect((await alice.api.get(`${base}/blocks?cursor=%21%21`)).status).toBe(400);
    expect((await alice.api.get(`${base}/blocks`)).body.data).toEqual([]);
  });

  it('keeps the blocked user from opening the DIRECT or writing to it, and the blocker too', async () => {
    const [alice, bob] = await users('blkd');
    const dm = await alice.api.post(`${base}/direct/${bob.id}`);
    const dmId = dm.body.data.id as string;
    expect((await send(bob, dmId, 'before')).status).toBe(201);

    await block(alice, bob.id);
    // Opening it, either way: the blocked user is refused.
    for (const res of [
      await bob.api.post(`${base}/direct/${alice.id}`),
      await bob.api.post(`${base}/conversations`, { type: 'DIRECT', participant_ids: [alice.id] }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ success: false, code: 'BLOCKED' });
    }
    const refused = await send(bob, dmId, 'after');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('BLOCKED');
    const mine = await send(alice, dmId, 'from the blocker');
    expect(mine.status).toBe(403);
    expect(mine.body).toMatchObject({
      code: 'BLOCKED',
      detail: expect.stringMatching(/you blocked this user/),
    });
    // Nothing was stored, and no seq was taken.
    const history = await alice.api.get(`${base}/conversations/${dmId}/messages`);
    expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['before']);

    await unblock(alice, bob.id);
    const resumed = await send(bob, dmId, 'resumed');
    expect(resumed.status).toBe(201);
    expect(resumed.body.data.seq).toBe(2);
    expect((await bob.api.post(`${base}/direct/${alice.id}`)).status).toBe(200);
  });

  it('refuses new reactions and pins in a blocked DIRECT from either side, and lets both be taken back', async () => {
    const [alice, bob] = await users('blkr');
    const dmId = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id as string;
    const first = (await send(alice, dmId, 'first')).body.data.id as string;
    const second = (await send(bob, dmId, 'second')).body.data.id as string;
    const reaction = (id: string, emoji: string) =>
      `${base}/conversations/${dmId}/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
    const pin = (id: string) => `${base}/conversations/${dmId}/pins/${id}`;
    expect((await bob.api.request('PUT', reaction(first, '👍'))).status).toBe(200);
    expect((await alice.api.request('PUT', pin(first))).status).toBe(200);

    await block(alice, bob.id);
    for (const [who, message] of [
      [bob, first],
      [alice, second],
    ] as const) {
      for (const res of [
        await who.api.request('PUT', reaction(message, '🎉')),
        await who.api.request('PUT', pin(second)),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ success: false, code: 'BLOCKED' });
      }
    }
    // Nothing new was added; what was there before can still be taken back.
    expect((await bob.api.delete(reaction(first, '👍'))).status).toBe(200);
    expect((await alice.api.delete(pin(first))).status).toBe(200);
    const history = await alice.api.get(`${base}/conversations/${dmId}/messages`);
    expect(history.body.data.map((m: { reactions: unknown[] }) => m.reactions)).toEqual([[], []]);
    expect((await alice.api.get(`${base}/conversations/${dmId}/pins`)).body.data).toEqual([]);

    await unblock(alice, bob.id);
    expect((await bob.api.request('PUT', reaction(first, '🎉'))).status).toBe(200);
    expect((await bob.api.request('PUT', pin(second))).status).toBe(200);
  });

  it('applies a block made before the DIRECT existed, and keeps it while the other side still blocks', async () => {
    const [alice, bob] = await users('blkn');
    await block(alice, bob.id);
    // The blocker may open it (to read), but neither side can write.
    const dm = await alice.api.post(`${base}/direct/${bob.id}`);
    expect(dm.status).toBe(201);
    const dmId = dm.body.data.id as string;
    expect((await send(alice, dmId)).body.code).toBe('BLOCKED');
    expect((await send(bob, dmId)).body.code).toBe('BLOCKED');

    // Both block; one unblocking leaves the DIRECT closed.
    await block(bob, alice.id);
    await unblock(alice, bob.id);
    expect((await send(alice, dmId)).body.code).toBe('BLOCKED');
    expect((await alice.api.post(`${base}/direct/${bob.id}`)).body.code).toBe('BLOCKED');
    await unblock(bob, alice.id);
    expect((await send(alice, dmId)).status).toBe(201);
  });

  it('hides the blocker from the blocked user’s search, and leaves groups alone', async () => {
    const [alice, bob] = await users('blks');
    const find = async (as: TestUser, who: TestUser) =>
      (await as.api.get(`${base}/search/users?q=${who.username}`)).body.data as { id: string }[];
    expect((await find(bob, alice)).map((u) => u.id)).toEqual([alice.id]);
    const group = await alice.api.post(`${base}/conversations`, {
      type: 'GROUP',
      participant_ids: [bob.id],
      name: 'still friends',
    });
    await block(alice, bob.id);
    expect(await find(bob, alice)).toEqual([]);
    // The blocker still finds the one they blocked.
    expect((await find(alice, bob)).map((u) => u.id)).toEqual([bob.id]);
    expect((await send(bob, group.body.data.id as string, 'in the group')).status).toBe(201);
    await unblock(alice, bob.id);
    expect((await find(bob, alice)).map((u) => u.id)).toEqual([alice.id]);
  });
});
