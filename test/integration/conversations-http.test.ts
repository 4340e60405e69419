// REST conversations and membership through the real node, on every store.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import { storeModes, type ModeSetup } from '../support/store-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { nextMillisecond } from '../support/next-millisecond';
import { waitFor } from '../support/wait-for';

describe.each(storeModes)('conversations over HTTP on $name', (mode) => {
  let setup: ModeSetup;
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    setup = await mode.setup();
    node = await startTestNode(setup.env);
    api = new Api(node.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
    ]);
  });
  afterAll(async () => {
    await node?.close();
    await setup?.teardown();
  });

  const base = '/api/v1/messages';

  describe('search', () => {
    it('finds users case-insensitively, excluding the caller, regex-escaped, bounded', async () => {
      const res = await alice.api.get(`${base}/search/users?q=${bob.username.toUpperCase()}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        data: [{ id: bob.id, username: bob.username, avatar_url: null }],
      });
      const self = await alice.api.get(`${base}/search/users?q=${alice.username}`);
      expect(self.body.data).toEqual([]);
      const pattern = await alice.api.get(`${base}/search/users?q=${encodeURIComponent('.*')}`);
      expect(pattern.status).toBe(200);
      expect(pattern.body.data).toEqual([]);
      const limited = await alice.api.get(`${base}/search/users?q=bob&limit=1`);
      expect(limited.body.data).toHaveLength(1);
      // An empty query would list everyone: it is refused, as is a missing one.
      for (const query of ['q=', 'q=%20', 'limit=5']) {
        const res = await alice.api.get(`${base}/search/users?${query}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
      }
    });

    it.each(['limit=0', 'limit=21', 'limit=abc', 'limit=1.5', 'limit=1&limit=2', 'q=a&q=b'])(
      'rejects %s with 400',
      async (query) => {
        const res = await alice.api.get(`${base}/search/users?${query}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
      },
    );
  });

  describe('DIRECT', () => {
    it('creates once and returns the same conversation afterwards, from either side', async () => {
      const dave = await registerUser(api, 'dave');
      const first = await alice.api.post(`${base}/conversations`, {
        type: 'DIRECT',
        participant_ids: [dave.id],
      });
      expect(first.status).toBe(201);
      expect(first.body.data).toMatchObject({
        type: 'DIRECT',
        name: dave.username,
        unread_count: 0,
        last_message: null,
      });
      expect(
        first.body.data.participants.map((p: { user_id: string }) => p.user_id).sort(),
      ).toEqual([alice.id, dave.id].sort());
      const again = await dave.api.post(`${base}/direct/${alice.id}`);
      expect(again.status).toBe(200);
      expect(again.body.data.id).toBe(first.body.data.id);
      expect(again.body.data.name).toBe(alice.username);
    });

    it('never makes two DIRECTs for a pair under concurrent requests', async () => {
      const erin = await registerUser(api, 'erin');
      const results = await Promise.all([
        ...[0, 1, 2, 3, 4].map(() => alice.api.post(`${base}/direct/${erin.id}`)),
        ...[0, 1, 2, 3, 4].map(() =>
          erin.api.post(`${base}/conversations`, { type: 'DIRECT', participant_ids: [alice.id] }),
        ),
      ]);
      expect(new Set(results.map((r) => r.body.data.id)).size).toBe(1);
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const list = await erin.api.get(`${base}/conversations`);
      expect(list.body.data.filter((c: { type: string }) => c.type === 'DIRECT')).toHaveLength(1);
    });

    it('rejects a DM with oneself (400), with two others (400), and with nobody known (404)', async () => {
      expect((await alice.api.post(`${base}/direct/${alice.id}`)).status).toBe(400);
      expect(
        (
          await alice.api.post(`${base}/conversations`, {
            type: 'DIRECT',
            participant_ids: [alice.id],
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await alice.api.post(`${base}/conversations`, {
            type: 'DIRECT',
            participant_ids: [bob.id, carol.id],
          })
        ).status,
      ).toBe(400);
      const unknown = await alice.api.post(`${base}/direct/${newObjectId()}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      expect((await alice.api.post(`${base}/direct/not-an-id`)).status).toBe(400);
    });
  });

  describe('GROUP', () => {
    it('needs a name; the creator becomes ADMIN', async () => {
      expect(
        (
          await alice.api.post(`${base}/conversations`, {
            type: 'GROUP',
            participant_ids: [bob.id],
          })
        ).status,
      ).toBe(400);
      const res = await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'Team',
        participant_ids: [bob.id],
      });
      expect(res.status).toBe(201);
      const roles = Object.fromEntries(
        res.body.data.participants.map((p: { user_id: string; role: string }) => [
          p.user_id,
          p.role,
        ]),
      );
      expect(roles).toEqual({ [alice.id]: 'ADMIN', [bob.id]: 'MEMBER' });
    });

    it.each([
      [{ type: 'CHANNEL', participant_ids: [] }],
      [{ type: 'GROUP', name: 'x', participant_ids: 'abc' }],
      [{ type: 'GROUP', name: 'x', participant_ids: [{ $gt: '' }] }],
      [{ type: 'GROUP', name: 'x', participant_ids: ['123'] }],
    ])('rejects a malformed body %j with 400', async (body) => {
      const res = await alice.api.post(`${base}/conversations`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION');
    });

    it('answers a badly encoded URL or body with 400, never 500', async () => {
      const url = await alice.api.get(`${base}/conversations/%E0%A4%A`);
      expect(url.status).toBe(400);
      expect(url.body).toMatchObject({ success: false, code: 'VALIDATION' });
      const encoded = await alice.api.request(
        'POST',
        `${base}/conversations`,
        'not brotli at all',
        { 'content-encoding': 'br' },
      );
      expect(encoded.status).toBe(400);
      expect(encoded.body).toMatchObject({ success: false, code: 'VALIDATION' });
      const farCursor = Buffer.from(JSON.stringify({ t: 9e15, id: 'a'.repeat(24) })).toString(
        'base64url',
      );
      expect((await alice.api.get(`${base}/conversations?cursor=${farCursor}`)).status).toBe(400);
    });

    it('rejects malformed JSON with 400 and oversized bodies with 413', async () => {
      const bad = await alice.api.request('POST', `${base}/conversations`, '{"type": "GROUP",');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION' });
      const huge = await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'x'.repeat(1_100_000),
        participant_ids: [],
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('lets only an ADMIN add people, only to a GROUP; body or query', async () => {
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'Adds',
          participant_ids: [bob.id],
        })
      ).body.data;
      const byMember = await bob.api.post(`${base}/conversations/${group.id}/participants`, {
        user_ids: [carol.id],
      });
      expect(byMember.status).toBe(403);
      expect(byMember.body.code).toBe('NOT_ADMIN');
      const byOutsider = await carol.api.post(`${base}/conversations/${group.id}/participants`, {
        user_ids: [carol.id],
      });
      expect(byOutsider.status).toBe(403);
      expect(byOutsider.body.code).toBe('NOT_PARTICIPANT');
      const viaQuery = await alice.api.post(
        `${base}/conversations/${group.id}/participants?user_ids=${carol.id}`,
      );
      expect(viaQuery.status).toBe(200);
      expect(viaQuery.body.data.participants).toHaveLength(3);
      expect(
        (
          await alice.api.post(`${base}/conversations/${group.id}/participants`, {
            user_ids: [newObjectId()],
          })
        ).status,
      ).toBe(404);
      expect(
        (await alice.api.post(`${base}/conversations/${group.id}/participants`, { user_ids: [] }))
          .status,
      ).toBe(400);
      const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data;
      expect(
        (
          await alice.api.post(`${base}/conversations/${dm.id}/participants`, {
            user_ids: [carol.id],
          })
        ).status,
      ).toBe(400);
    });

    it('lets a MEMBER leave, not remove others; a left member loses access', async () => {
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'Leave',
          participant_ids: [bob.id, carol.id],
        })
      ).body.data;
      const kick = await bob.api.delete(
        `${base}/conversations/${group.id}/participants/${carol.id}`,
      );
      expect(kick.status).toBe(403);
      expect(kick.body.code).toBe('NOT_ADMIN');
      const leave = await bob.api.delete(
        `${base}/conversations/${group.id}/participants/${bob.id}`,
      );
      expect(leave.status).toBe(200);
      const read = await bob.api.get(`${base}/conversations/${group.id}`);
      expect(read.status).toBe(403);
      expect(read.body.code).toBe('NOT_PARTICIPANT');
      expect((await bob.api.get(`${base}/conversations/${group.id}/messages`)).status).toBe(403);
      expect(
        (await bob.api.post(`${base}/conversations/${group.id}/messages`, { content: 'hi' }))
          .status,
      ).toBe(403);
      const list = await bob.api.get(`${base}/conversations`);
      expect(list.body.data.map((c: { id: string }) => c.id)).not.toContain(group.id);
      expect(
        (await alice.api.delete(`${base}/conversations/${group.id}/participants/${bob.id}`)).status,
      ).toBe(404);
      // an admin can bring them back
      expect(
        (
          await alice.api.post(`${base}/conversations/${group.id}/participants`, {
            user_ids: [bob.id],
          })
        ).status,
      ).toBe(200);
      expect((await bob.api.get(`${base}/conversations/${group.id}`)).status).toBe(200);
    });

    it('promotes the oldest member when the last ADMIN leaves', async () => {
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'Succession',
          participant_ids: [bob.id],
        })
      ).body.data;
      await alice.api.post(`${base}/conversations/${group.id}/participants`, {
        user_ids: [carol.id],
      });
      expect(
        (await alice.api.delete(`${base}/conversations/${group.id}/participants/${alice.id}`))
          .status,
      ).toBe(200);
      const detail = (await bob.api.get(`${base}/conversations/${group.id}`)).body.data;
      const roles = Object.fromEntries(
        detail.participants.map((p: { user_id: string; role: string }) => [p.user_id, p.role]),
      );
      expect(roles).toEqual({ [bob.id]: 'ADMIN', [carol.id]: 'MEMBER' });
    });
  });

  describe('reading', () => {
    it('404s an unknown conversation, 400s a malformed id, 403s an outsider', async () => {
      expect((await alice.api.get(`${base}/conversations/${newObjectId()}`)).status).toBe(404);
      expect((await alice.api.get(`${base}/conversations/nope`)).status).toBe(400);
      const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data;
      const outsider = await carol.api.get(`${base}/conversations/${dm.id}`);
      expect(outsider.status).toBe(403);
    });

    it('lists by latest activity with exact cursor pagination', async () => {
      const frank = await registerUser(api, 'frank');
      const ids: string[] = [];
      // Each step in a millisecond of its own: a tie would be broken by the DMs' derived ids.
      for (const other of [alice, bob, carol]) {
        ids.push((await frank.api.post(`${base}/direct/${other.id}`)).body.data.id);
        await nextMillisecond();
      }
      await frank.api.post(`${base}/conversations/${ids[0]}/messages`, { content: 'bump' });
      const first = await frank.api.get(`${base}/conversations?limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.has_more).toBe(true);
      expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[2]]);
      expect(first.body.data[0]).toMatchObject({
        last_message_content: 'bump',
        other_user_id: alice.id,
        name: alice.username,
        unread_count: 0,
        is_online: false,
      });
      const second = await frank.api.get(
        `${base}/conversations?limit=2&cursor=${first.body.next_cursor}`,
      );
      expect(second.body.data.map((c: { id: string }) => c.id)).toEqual([ids[1]]);
      expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
      for (const q of ['limit=0', 'limit=51', 'cursor=%%%', 'cursor=abc']) {
        expect((await frank.api.get(`${base}/conversations?${q}`)).status).toBe(400);
      }
    });
  });

  describe('mute', () => {
    const muteOf = (id: string): string => `${base}/conversations/${id}/mute`;

    it('mutes until undone, idempotently, still counting unread, in the list and the detail', async () => {
      const dm = (await alice.api.post(`${base}/direct/${carol.id}`)).body.data;
      const muted = await alice.api.patch(muteOf(dm.id), { muted: true });
      expect(muted.status).toBe(200);
      const detail = await alice.api.get(`${base}/conversations/${dm.id}`);
      expect(muted.body).toEqual({ success: true, data: detail.body.data });
      expect(detail.body.data).toMatchObject({ id: dm.id, muted: true, muted_until: null });
      const again = await alice.api.patch(muteOf(dm.id), { muted: true, until: null });
      expect(again.status).toBe(200);
      expect(again.body.data).toMatchObject({ muted: true, muted_until: null });

      await carol.api.post(`${base}/conversations/${dm.id}/messages`, { content: 'psst' });
      const list = await alice.api.get(`${base}/conversations`);
      expect(list.body.data.find((c: { id: string }) => c.id === dm.id)).toMatchObject({
        muted: true,
        muted_until: null,
        unread_count: 1,
      });
      // Only the caller's view is muted.
      expect((await carol.api.get(`${base}/conversations/${dm.id}`)).body.data).toMatchObject({
        muted: false,
        muted_until: null,
      });

      const unmuted = await alice.api.patch(muteOf(dm.id), { muted: false });
      expect(unmuted.status).toBe(200);
      expect(unmuted.body.data).toMatchObject({ muted: false, muted_until: null, unread_count: 1 });
      expect((await alice.api.patch(muteOf(dm.id), { muted: false })).body.data.muted).toBe(false);
    });

    it('mutes until a time, in any offset, and the mute lapses by itself', async () => {
      const dm = (await bob.api.post(`${base}/direct/${carol.id}`)).body.data;
      const later = new Date(Date.now() + 3_600_000);
      const plusTwo = new Date(later.getTime() + 2 * 3_600_000)
        .toISOString()
        .replace('Z', '+02:00');
      const res = await bob.api.patch(muteOf(dm.id), { muted: true, until: plusTwo });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ muted: true, muted_until: later.toISOString() });

      const soon = new Date(Date.now() + 1_000);
      await bob.api.patch(muteOf(dm.id), { muted: true, until: soon.toISOString() });
      await waitFor(
        async () => (await bob.api.get(`${base}/conversations/${dm.id}`)).body.data.muted === false,
        { what: 'the mute to lapse', timeoutMs: 5_000 },
      );
      const list = await bob.api.get(`${base}/conversations`);
      expect(list.body.data.find((c: { id: string }) => c.id === dm.id)).toMatchObject({
        muted: false,
        muted_until: null,
      });
    });

    it.each([
      ['no body', undefined],
      ['no muted', { until: null }],
      ['a non-boolean muted', { muted: 'yes' }],
      ['a malformed until', { muted: true, until: 'tomorrow' }],
      ['an until that is not a string', { muted: true, until: 1_900_000_000_000 }],
      ['an until in the past', { muted: true, until: '2001-01-01T00:00:00Z' }],
      ['an until with an unmute', { muted: false, until: '2100-01-01T00:00:00Z' }],
    ])('rejects %s with 400 VALIDATION, changing nothing', async (_what, body) => {
      const dm = (await carol.api.post(`${base}/direct/${alice.id}`)).body.data;
      await carol.api.patch(muteOf(dm.id), { muted: true });
      const res = await carol.api.patch(muteOf(dm.id), body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
      expect(typeof res.body.detail).toBe('string');
      expect((await carol.api.get(`${base}/conversations/${dm.id}`)).body.data).toMatchObject({
        muted: true,
        muted_until: null,
      });
    });

    it('404s an unknown conversation, 400s a malformed id, 403s an outsider and one who left', async () => {
      const unknown = await alice.api.patch(muteOf(newObjectId()), { muted: true });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
      expect((await alice.api.patch(muteOf('nope'), { muted: true })).status).toBe(400);
      const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data;
      const outsider = await carol.api.patch(muteOf(dm.id), { muted: true });
      expect(outsider.status).toBe(403);
      expect(outsider.body).toMatchObject({ success: false, code: 'NOT_PARTICIPANT' });
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'Mute and leave',
          participant_ids: [bob.id],
        })
      ).body.data;
      await bob.api.delete(`${base}/conversations/${group.id}/participants/${bob.id}`);
      const left = await bob.api.patch(muteOf(group.id), { muted: true });
      expect(left.status).toBe(403);
      expect(left.body.code).toBe('NOT_PARTICIPANT');
    });
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const res = await alice.api.get(`${base}/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});
