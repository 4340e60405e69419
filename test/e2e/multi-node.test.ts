// Two (then three) server processes sharing Redis, RabbitMQ and one store (PostgreSQL, and the
// MongoDB-wire stand-in): frames cross nodes both ways, a user who left gets nothing, a mute
// reaches the user's devices on every node, and a SIGKILLed node's users go offline.
import { newObjectId } from '../../src/domain/ids';
import { spawnNode, type NodeProcess } from '../support/node-process';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { testRedisUrl } from '../support/redis-db';
import { KeyspaceEvents } from '../support/redis-keyspace';
import { Api, registerUser, type TestUser } from '../support/test-node';

jest.setTimeout(60_000);

describe.each(['postgres', 'mongodb'] as const)('a cluster of server processes on %s', (store) => {
  let cluster: ModeSetup;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  const clients: RealtimeClient[] = [];
  const base = '/api/v1/messages';

  beforeAll(async () => {
    cluster = await clusterEnv(store);
    const env = { ...cluster.env, PRESENCE_TTL_SECONDS: '3' };
    [nodeA, nodeB] = await Promise.all([spawnNode(env, 'node-a'), spawnNode(env, 'node-b')]);
    const apiA = new Api(nodeA.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(apiA, 'alice'),
      registerUser(apiA, 'bob'),
      registerUser(apiA, 'carol'),
    ]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await cluster?.teardown();
  });

  const onA = async (u: TestUser) => {
    const c = await connectClient(nodeA.url, u.token, 'raw');
    clients.push(c);
    return c;
  };
  const onB = async (u: TestUser, ackNewMessages = false) => {
    const c = await connectClient(nodeB.url, u.token, 'socket.io', { ackNewMessages });
    clients.push(c);
    return c;
  };

  it('raw client on A → socket.io client on B: NEW_MESSAGE, one MESSAGE_ACK, DELIVERED, SEEN, TYPING', async () => {
    const a = await onA(alice);
    const b = await onB(bob);
    const tempId = `t-${newObjectId()}`;
    a.send({ type: 'SEND_MESSAGE', conversationId: dm, content: 'across nodes', tempId });
    const incoming = await b.waitFor('NEW_MESSAGE', (f) => f.tempId === tempId);
    expect(incoming).toMatchObject({
      conversationId: dm,
      senderId: alice.id,
      content: 'across nodes',
    });
    const ack = await a.waitFor('MESSAGE_ACK', (f) => f.tempId === tempId);
    expect(ack.messageId).toBe(incoming.messageId);

    b.send({ type: 'MARK_DELIVERED', conversationId: dm, messageId: ack.messageId });
    await a.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
    );
    b.send({ type: 'MARK_SEEN', conversationId: dm, messageId: ack.messageId });
    expect(await a.waitFor('MESSAGE_SEEN')).toMatchObject({
      conversationId: dm,
      userId: bob.id,
      username: bob.username,
      lastSeenMessageId: ack.messageId,
    });
    await a.waitFor('MESSAGE_STATUS', (f) => f.messageId === ack.messageId && f.status === 'SEEN');

    a.send({ type: 'TYPING', conversationId: dm });
    expect(await b.waitFor('TYPING')).toMatchObject({
      conversationId: dm,
      userId: alice.id,
      username: alice.username,
    });
    await a.request({ type: 'ping' });
    expect(a.all('MESSAGE_ACK', (f) => f.tempId === tempId)).toHaveLength(1);
  });

  it('socket.io client on B → raw client on A, with delivery by Socket.IO acknowledgement', async () => {
    const a = await onA(alice);
    const b = await onB(bob, true);
    const tempId = `t-${newObjectId()}`;
    const reply = await b.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'back again',
      tempId,
    });
    expect(reply).toMatchObject({ type: 'MESSAGE_ACK', tempId, status: 'SENT' });
    const incoming = await a.waitFor('NEW_MESSAGE', (f) => f.messageId === reply.messageId);
    expect(incoming).toMatchObject({ senderId: bob.id, content: 'back again' });
    a.send({ type: 'MARK_SEEN', conversationId: dm, messageId: reply.messageId });
    await b.waitFor('MESSAGE_SEEN', (f) => f.lastSeenMessageId === reply.messageId);
    await b.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === reply.messageId && f.status === 'SEEN',
    );
    a.send({ type: 'TYPING', conversationId: dm });
    await b.waitFor('TYPING', (f) => f.userId === alice.id);
    expect(b.all('MESSAGE_ACK')).toHaveLength(0);

    // alice (raw) sends; bob's socket.io device acknowledges NEW_MESSAGE → DELIVERED on node A
    const sent = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'ack this',
      tempId: `t-${newObjectId()}`,
    });
    await a.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === sent.messageId && f.status === 'DELIVERED',
    );
  });

  it('a user who left a group receives nothing from it, on either node', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'x-node',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    const a = await onA(alice);
    const b = await onB(bob);
    const bA = await onA(bob);
    const cA = await onA(carol);
    const cB = await onB(carol);
    expect(
      (
        await new Api(nodeB.url, carol.token).delete(
          `${base}/conversations/${group}/participants/${carol.id}`,
        )
      ).status,
    ).toBe(200);
    await Promise.all([cA.waitFor('PARTICIPANTS_CHANGED'), cB.waitFor('PARTICIPANTS_CHANGED')]);
    const send = async (content: string) =>
      (
        await a.request({
          type: 'SEND_MESSAGE',
          conversationId: group,
          content,
          tempId: `t-${newObjectId()}`,
        })
      ).messageId as string;
    const sent = await send('after carol left');
    // A group's events are fanned out in order, so once bob has the next message on both nodes,
    // any copy of the first meant for carol would have arrived on her sockets there too.
    const next = await send('and again');
    await Promise.all([b, bA].map((s) => s.waitFor('NEW_MESSAGE', (f) => f.messageId === next)));
    // One TYPING broadcast reaches every target room; alice's socket on A sharing it with carol's.
    b.send({ type: 'TYPING', conversationId: group });
    await a.waitFor('TYPING', (f) => f.conversationId === group);
    for (const c of [cA, cB]) {
      expect(c.all('NEW_MESSAGE', (f) => f.messageId === sent)).toHaveLength(0);
      expect(c.all('TYPING', (f) => f.conversationId === group)).toHaveLength(0);
    }
  });

  it('a mute made through node B reaches the user’s devices on both nodes, and only theirs', async () => {
    const a = await onA(alice);
    const aB = await onB(alice);
    const b = await onA(bob);
    const res = await new Api(nodeB.url, alice.token).patch(`${base}/conversations/${dm}/mute`, {
      muted: true,
    });
    expect(res.status).toBe(200);
    const frame = { conversationId: dm, muted: true, mutedUntil: null };
    expect(await a.waitFor('CONVERSATION_MUTED')).toMatchObject(frame);
    expect(await aB.waitFor('CONVERSATION_MUTED')).toMatchObject(frame);
    // The conversation's events are fanned out in order: once bob has a later message, a mute
    // frame meant for him would have arrived first.
    const later = (
      await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'muted now' })
    ).body.data.id;
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === later);
    expect(b.all('CONVERSATION_MUTED')).toHaveLength(0);
    await alice.api.patch(`${base}/conversations/${dm}/mute`, { muted: false });
  });

  // Issue 11 (pins, mentions): their bus events cross nodes like the rest.
  describe('pins and mentions across nodes', () => {
    let group: string;
    beforeAll(async () => {
      // A group of its own (alice admin, bob member), so the counts below start from zero.
      group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'x-node pins',
          participant_ids: [bob.id],
        })
      ).body.data.id;
    });

    it('a pin made through node A reaches a participant on node B, and so does the unpin', async () => {
      const b = await onB(bob);
      const messageId = (
        await alice.api.post(`${base}/conversations/${group}/messages`, { content: 'pin me' })
      ).body.data.id as string;
      await b.waitFor('NEW_MESSAGE', (f) => f.messageId === messageId);
      const apiA = new Api(nodeA.url, alice.token);
      const steps = [
        ['PUT', 'MESSAGE_PINNED', 'pinnedAt', 'pinned_at'],
        ['DELETE', 'MESSAGE_UNPINNED', 'unpinnedAt', 'unpinned_at'],
      ] as const;
      for (const [method, frame, at, restAt] of steps) {
        const res = await apiA.request(method, `${base}/conversations/${group}/pins/${messageId}`);
        expect(res.status).toBe(200);
        expect(await b.waitFor(frame, (f) => f.messageId === messageId)).toMatchObject({
          conversationId: group,
          messageId,
          userId: alice.id,
          [at]: res.body.data[restAt],
        });
      }
      expect(b.all('MESSAGE_PINNED', (f) => f.messageId === messageId)).toHaveLength(1);
    });

    it('a message sent on node A with an @mention reaches node B with mentions, and B’s view there counts it', async () => {
      const a = await onA(alice);
      const b = await onB(bob);
      const tempId = `t-${newObjectId()}`;
      a.send({
        type: 'SEND_MESSAGE',
        conversationId: group,
        content: `over here @${bob.username}`,
        tempId,
      });
      const incoming = await b.waitFor('NEW_MESSAGE', (f) => f.tempId === tempId);
      expect(incoming).toMatchObject({ conversationId: group, mentions: [bob.id] });
      const view = await new Api(nodeB.url, bob.token).get(`${base}/conversations/${group}`);
      expect(view.status).toBe(200);
      expect(view.body.data).toMatchObject({ unread_mention_count: 1 });
      expect(view.body.data.unread_count).toBeGreaterThanOrEqual(1);
    });
  });

  // Issue 11 (reactions, blocking): reactions are bus events like the rest; a block lives in the
  // shared store, so every node refuses the pair's DIRECT at once, and an unblock anywhere lifts it.
  describe('reactions and blocking across nodes', () => {
    it('a REACT made through node A reaches a participant on node B with the aggregate, and so does the UNREACT', async () => {
      const a = await onA(alice);
      const b = await onB(bob);
      const messageId = (
        await bob.api.post(`${base}/conversations/${dm}/messages`, { content: 'react to me' })
      ).body.data.id as string;
      await b.waitFor('NEW_MESSAGE', (f) => f.messageId === messageId);
      // Bob's own reaction first (through B), so the count B hears is the sum of both users'.
      const mine = await new Api(nodeB.url, bob.token).request(
        'PUT',
        `${base}/conversations/${dm}/messages/${messageId}/reactions/${encodeURIComponent('🔥')}`,
      );
      expect(mine.status).toBe(200);
      await b.waitFor('MESSAGE_REACTIONS', (f) => f.messageId === messageId);

      const steps = [
        ['REACT', 'added', [{ emoji: '🔥', count: 2 }]],
        ['UNREACT', 'removed', [{ emoji: '🔥', count: 1 }]],
      ] as const;
      for (const [type, action, reactions] of steps) {
        a.send({ type, conversationId: dm, messageId, emoji: '🔥' });
        const heard = await b.waitFor(
          'MESSAGE_REACTIONS',
          (f) => f.messageId === messageId && f.userId === alice.id && f.action === action,
        );
        expect(heard).toEqual({
          type: 'MESSAGE_REACTIONS',
          conversationId: dm,
          messageId,
          seq: expect.any(Number),
          userId: alice.id,
          emoji: '🔥',
          action,
          reactions,
        });
      }
      // One frame per change: bob's, alice's add, alice's removal.
      expect(b.all('MESSAGE_REACTIONS', (f) => f.messageId === messageId)).toHaveLength(3);
    });

    it('a block made through node A refuses the DIRECT on node B (REST 403 and the frame); the unblock through B opens it on A again', async () => {
      const [dana, eve] = await Promise.all([
        registerUser(new Api(nodeA.url), 'dana'),
        registerUser(new Api(nodeA.url), 'eve'),
      ]);
      const pair = (await dana.api.post(`${base}/direct/${eve.id}`)).body.data.id as string;
      const [danaA, danaB, eveA, eveB] = [
        new Api(nodeA.url, dana.token),
        new Api(nodeB.url, dana.token),
        new Api(nodeA.url, eve.token),
        new Api(nodeB.url, eve.token),
      ];
      const path = `${base}/conversations/${pair}/messages`;
      const eveOnB = await onB(eve);
      const eveOnA = await onA(eve);
      const danaOnA = await onA(dana);

      expect((await danaA.request('PUT', `${base}/blocks/${eve.id}`)).status).toBe(200);
      const refused = await eveB.post(path, { content: 'through the wall' });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ success: false, code: 'BLOCKED' });
      expect(
        await eveOnB.request({
          type: 'SEND_MESSAGE',
          conversationId: pair,
          content: 'through the wall',
          tempId: `t-${newObjectId()}`,
        }),
      ).toMatchObject({ type: 'ERROR', code: 'BLOCKED' });
      // Nor may the blocked user open the DIRECT through B.
      const reopened = await eveB.post(`${base}/direct/${dana.id}`);
      expect(reopened.status).toBe(403);
      expect(reopened.body.code).toBe('BLOCKED');

      expect((await danaB.delete(`${base}/blocks/${eve.id}`)).status).toBe(200);
      const through = await eveA.post(path, { content: 'over the wall' });
      expect(through.status).toBe(201);
      const tempId = `t-${newObjectId()}`;
      expect(
        await eveOnA.request({
          type: 'SEND_MESSAGE',
          conversationId: pair,
          content: 'and again',
          tempId,
        }),
      ).toMatchObject({ type: 'MESSAGE_ACK', tempId });
      // Dana hears both on A, and only those: the refused ones were never stored.
      await danaOnA.waitFor('NEW_MESSAGE', (f) => f.tempId === tempId);
      expect(
        danaOnA.all('NEW_MESSAGE', (f) => f.conversationId === pair).map((f) => f.content),
      ).toEqual(['over the wall', 'and again']);
      const history = await danaA.get(path);
      expect((history.body.data as { content: string }[]).map((m) => m.content)).toEqual([
        'over the wall',
        'and again',
      ]);
    });
  });

  it('shows the users of a SIGKILLed node offline within the presence TTL', async () => {
    const nodeCId = `node-c-${newObjectId().slice(-6)}`;
    const nodeC = await spawnNode({ ...cluster.env, PRESENCE_TTL_SECONDS: '3' }, nodeCId);
    const keyspace = await KeyspaceEvents.open(cluster.env.REDIS_URL ?? testRedisUrl());
    try {
      const dave = await registerUser(new Api(nodeA.url), 'dave');
      const conv = (await alice.api.post(`${base}/direct/${dave.id}`)).body.data.id;
      const d = await connectClient(nodeC.url, dave.token, 'raw');
      clients.push(d);
      const isOnline = async () =>
        (await alice.api.get(`${base}/conversations`)).body.data.find(
          (c: { id: string }) => c.id === conv,
        ).is_online as boolean;
      expect(await isOnline()).toBe(true);
      // Nothing is left to say goodbye: only the expiry of node C's heartbeat takes dave offline.
      const heartbeat = await keyspace.watch(`presence:node:${nodeCId}`);
      const killedAt = Date.now();
      nodeC.child.kill('SIGKILL');
      await nodeC.exited;
      await heartbeat.waitFor('expired', 10_000);
      expect(Date.now() - killedAt).toBeLessThan(3_000 + 2_000);
      expect(await isOnline()).toBe(false);
    } finally {
      await nodeC.stop();
      await keyspace.close();
    }
  });
});
