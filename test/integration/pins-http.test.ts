// Pins over REST through the real node, on every store: rights, idempotency, the list, deletes.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { nextMillisecond } from '../support/next-millisecond';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

describe.each(storeModes)('pins over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  let group: string;
  const base = '/api/v1/messages';
  const pins = (c: string) => `${base}/conversations/${c}/pins`;
  const pin = (u: TestUser, c: string, m: string) => u.api.request('PUT', `${pins(c)}/${m}`);
  const unpin = (u: TestUser, c: string, m: string) => u.api.delete(`${pins(c)}/${m}`);
  const send = async (u: TestUser, c: string, content: string): Promise<string> =>
    (await u.api.post(`${base}/conversations/${c}/messages`, { content })).body.data.id as string;

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode({ ...setup.env });
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
        name: 'pins',
        participant_ids: [bob.id],
      })
    ).body.data.id;
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  it('lets either participant of a DIRECT pin (idempotently) and lists pins newest first', async () => {
    const m1 = await send(alice, dm, 'first');
    const m2 = await send(bob, dm, 'second');
    const res = await pin(bob, dm, m1);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      conversation_id: dm,
      message_id: m1,
      pinned: true,
      pinned_at: expect.any(String),
      pinned_by: bob.id,
      unpinned_at: null,
    });
    const again = await pin(alice, dm, m1);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(res.body.data);
    await nextMillisecond(); // distinct pin instants, so the order is defined
    expect((await pin(alice, dm, m2)).status).toBe(200);

    const list = await alice.api.get(pins(dm));
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ success: true, next_cursor: null, has_more: false });
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([m2, m1]);
    expect(list.body.data[1]).toMatchObject({
      id: m1,
      conversation_id: dm,
      content: 'first',
      sender_id: alice.id,
      pinned_by: bob.id,
      pinned_at: res.body.data.pinned_at,
    });
  });

  it('unpins idempotently and the list forgets it', async () => {
    const m = await send(alice, dm, 'to unpin');
    await pin(alice, dm, m);
    const res = await unpin(bob, dm, m);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      conversation_id: dm,
      message_id: m,
      pinned: false,
      pinned_at: null,
      pinned_by: null,
      unpinned_at: expect.any(String),
    });
    expect((await unpin(bob, dm, m)).status).toBe(200);
    const list = await bob.api.get(pins(dm));
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(m);
  });

  it('needs an admin in a GROUP, a participant anywhere, and a message of this conversation', async () => {
    const m = await send(bob, group, 'group message');
    const byMember = await pin(bob, group, m);
    expect(byMember.status).toBe(403);
    expect(byMember.body.code).toBe('NOT_ADMIN');
    expect((await unpin(bob, group, m)).body.code).toBe('NOT_ADMIN');
    const byOutsider = await pin(carol, group, m);
    expect(byOutsider.status).toBe(403);
    expect(byOutsider.body.code).toBe('NOT_PARTICIPANT');
    expect((await carol.api.get(pins(group))).body.code).toBe('NOT_PARTICIPANT');
    expect((await pin(alice, group, newObjectId())).status).toBe(404);
    const elsewhere = await send(alice, dm, 'in the DM');
    expect((await pin(alice, group, elsewhere)).status).toBe(404);
    expect((await pin(alice, newObjectId(), m)).status).toBe(404);
    const bad = await pin(alice, group, 'not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
    // The admin may; a member reads the list.
    expect((await pin(alice, group, m)).status).toBe(200);
    expect((await bob.api.get(pins(group))).body.data.map((x: { id: string }) => x.id)).toEqual([
      m,
    ]);
  });

  it('refuses to pin a deleted message, and deleting a pinned message unpins it', async () => {
    const gone = await send(alice, dm, 'deleted first');
    await alice.api.delete(`${base}/conversations/${dm}/messages/${gone}`);
    const res = await pin(alice, dm, gone);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION');

    const m = await send(alice, dm, 'pinned then deleted');
    await pin(bob, dm, m);
    expect((await bob.api.get(pins(dm))).body.data.map((x: { id: string }) => x.id)).toContain(m);
    expect((await alice.api.delete(`${base}/conversations/${dm}/messages/${m}`)).status).toBe(200);
    const list = await bob.api.get(pins(dm));
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(m);
    expect((await alice.api.request('PUT', `${pins(dm)}/${m}`)).status).toBe(400);
  });

  it('caps the pins of a conversation at 50 (409 CONFLICT)', async () => {
    const g = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'full',
        participant_ids: [bob.id],
      })
    ).body.data.id as string;
    for (let i = 0; i < 50; i++) {
      const m = await send(alice, g, `m${i}`);
      expect((await pin(alice, g, m)).status).toBe(200);
    }
    const extra = await send(alice, g, 'one too many');
    const res = await pin(alice, g, extra);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONFLICT');
    expect(res.body.detail).toMatch(/at most 50/);
    expect((await alice.api.get(pins(g))).body.data).toHaveLength(50);
  });
});
