// Every frame of docs/PROTOCOL.md §6 over both transports, on one node per backend mode.
import type { RunningNode } from '../../src/node';
import { newObjectId } from '../../src/domain/ids';
import {
  connectClient,
  connectSocketIo,
  openRaw,
  openRawWithHeaders,
  rawClient,
  type Frame,
  type RealtimeClient,
  type Transport,
} from '../support/realtime-client';
import { realtimeModes } from '../support/realtime-modes';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

const transports: Transport[] = ['socket.io', 'raw'];
const cases = realtimeModes.flatMap((mode) => transports.map((transport) => ({ mode, transport })));

describe.each(cases)('realtime: $transport on $mode.name', ({ mode, transport }) => {
  let node: RunningNode;
  let env: Awaited<ReturnType<typeof mode.setup>>;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dm: string;
  const clients: RealtimeClient[] = [];
  const base = '/api/v1/messages';

  const connect = async (
    user: TestUser,
    t: Transport = transport,
    ackNewMessages = false,
  ): Promise<RealtimeClient> => {
    const c = await connectClient(node.url, user.token, t, { ackNewMessages });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    env = await mode.setup();
    node = await startTestNode(env.env);
    api = new Api(node.url);
    [alice, bob, carol] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
    ]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await node.close();
    await env.teardown();
  });

  it('greets with `connected` and answers ping with pong', async () => {
    const a = await connect(alice);
    expect(a.frames[0]).toEqual({
      type: 'connected',
      user_id: alice.id,
      message: expect.any(String),
      cursor: expect.any(String),
    });
    expect(await a.request({ type: 'ping' })).toEqual({ type: 'pong' });
  });

  it('counts this node’s sockets of both kinds in /api/v1/ws/health', async () => {
    const before = (await api.get('/api/v1/ws/health')).body.active_connections as number;
    await connect(alice, 'raw');
    await connect(alice, 'socket.io');
    const health = (await api.get('/api/v1/ws/health')).body;
    expect(health).toEqual({
      status: 'ok',
      redis_connected: env.env.REDIS_URL !== undefined,
      active_connections: before + 2,
    });
  });

  it('takes the token from the other places clients put it', async () => {
    if (transport === 'raw') {
      const viaProtocol = openRaw(node.url, '', ['bearer', alice.token]);
      expect(await viaProtocol.waitFor('connected')).toMatchObject({ user_id: alice.id });
      expect(viaProtocol.ws.protocol).toBe('bearer');
      await viaProtocol.close();
      const viaHeader = openRawWithHeaders(node.url, { authorization: `Bearer ${alice.token}` });
      expect(await viaHeader.waitFor('connected')).toMatchObject({ user_id: alice.id });
      await viaHeader.close();
    } else {
      const socket = connectSocketIo(node.url, {
        query: { token: alice.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      try {
        const greeting = await new Promise<unknown>((resolve, reject) => {
          socket.once('connected', resolve);
          socket.once('connect_error', reject);
        });
        expect(greeting).toMatchObject({ user_id: alice.id });
      } finally {
        socket.close();
      }
    }
  });

  it('refuses a bad token', async () => {
    if (transport === 'raw') {
      const raw = openRaw(node.url, '?token=garbage');
      expect(await raw.waitClosed()).toBe(4001);
      const none = openRaw(node.url, '');
      expect(await none.waitClosed()).toBe(4001);
    } else {
      const socket = connectSocketIo(node.url, {
        auth: { token: 'garbage' },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(err.message).toBe('unauthorized');
      socket.close();
    }
  });

  it('sends: one MESSAGE_ACK to the sending socket, NEW_MESSAGE to the recipient and the sender’s other devices, never to the origin', async () => {
    const a1 = await connect(alice);
    const a2 = await connect(alice, transport === 'raw' ? 'socket.io' : 'raw');
    const b = await connect(bob);
    /**
     * A later message in the same conversation, once every socket has it: a copy of anything
     * fanned out before it would have reached each socket first (one conversation's events keep
     * their order, and one socket's frames too).
     */
    const barrier = async (): Promise<void> => {
      const marker = (
        await bob.api.post(`${base}/conversations/${dm}/messages`, { content: 'marker' })
      ).body.data.id as string;
      await Promise.all(
        [a1, a2, b].map((c) => c.waitFor('NEW_MESSAGE', (f) => f.messageId === marker)),
      );
    };
    const tempId = `t-${newObjectId()}`;
    a1.send({ type: 'SEND_MESSAGE', conversationId: dm, content: 'hello bob', tempId });
    const ack = await a1.waitFor('MESSAGE_ACK', (f) => f.tempId === tempId);
    expect(ack).toEqual({
      type: 'MESSAGE_ACK',
      tempId,
      messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
      conversationId: dm,
      seq: expect.any(Number),
      status: 'SENT',
    });
    const isIt = (f: Frame) => f.messageId === ack.messageId;
    const incoming = await b.waitFor('NEW_MESSAGE', isIt);
    expect(incoming).toMatchObject({
      type: 'NEW_MESSAGE',
      conversationId: dm,
      messageId: ack.messageId,
      senderId: alice.id,
      senderUsername: alice.username,
      senderAvatar: null,
      content: 'hello bob',
      messageType: 'TEXT',
      media: [],
      status: 'SENT',
      seq: ack.seq,
      createdAt: expect.any(String),
    });
    expect(await a2.waitFor('NEW_MESSAGE', isIt)).toEqual(incoming);
    await barrier();
    expect(a1.all('NEW_MESSAGE', isIt)).toHaveLength(0);

    // the retry answers with the original id and fans nothing out again
    a1.send({ type: 'SEND_MESSAGE', conversationId: dm, content: 'hello bob', tempId });
    const retried = await a1.waitFor('MESSAGE_ACK', (f) => f.tempId === tempId && f !== ack);
    expect(retried).toEqual(ack);
    await barrier();
    expect(a1.all('MESSAGE_ACK', (f) => f.tempId === tempId)).toHaveLength(2);
    expect(b.all('NEW_MESSAGE', isIt)).toHaveLength(1);
    expect(a2.all('NEW_MESSAGE', isIt)).toHaveLength(1);
    expect(a1.all('NEW_MESSAGE', isIt)).toHaveLength(0);
  });

  it('carries media and replies in NEW_MESSAGE', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const first = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'pic',
      tempId: `t-${newObjectId()}`,
    });
    const media = [{ url: 'https://cdn.test/p.png', type: 'image', width: 10, height: 20 }];
    const reply = await b.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      media,
      replyToMessageId: first.messageId,
      tempId: `t-${newObjectId()}`,
    });
    expect(reply.type).toBe('MESSAGE_ACK');
    const got = await a.waitFor('NEW_MESSAGE', (f) => f.messageId === reply.messageId);
    expect(got).toMatchObject({
      messageType: 'IMAGE',
      media,
      replyToMessageId: first.messageId,
      content: null,
    });
  });

  it('reports DELIVERED on MARK_DELIVERED and SEEN on MARK_SEEN, with MESSAGE_SEEN', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const ack = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'receipt me',
      tempId: `t-${newObjectId()}`,
    });
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId);
    b.send({ type: 'MARK_DELIVERED', conversationId: dm, messageId: ack.messageId });
    expect(
      await a.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
      ),
    ).toEqual({
      type: 'MESSAGE_STATUS',
      messageId: ack.messageId,
      conversationId: dm,
      status: 'DELIVERED',
    });
    b.send({ type: 'MARK_SEEN', conversationId: dm, messageId: ack.messageId });
    expect(await a.waitFor('MESSAGE_SEEN', (f) => f.lastSeenMessageId === ack.messageId)).toEqual({
      type: 'MESSAGE_SEEN',
      conversationId: dm,
      userId: bob.id,
      username: bob.username,
      lastSeenMessageId: ack.messageId,
    });
    await a.waitFor('MESSAGE_STATUS', (f) => f.messageId === ack.messageId && f.status === 'SEEN');
    const unread = (await bob.api.get(`${base}/conversations/${dm}`)).body.data.unread_count;
    expect(unread).toBe(0);
  });

  it('reports a status once for every message a watermark move covers', async () => {
    const conv = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'range',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    const a = await connect(alice);
    const b = await connect(bob);
    const ids: string[] = [];
    for (const content of ['one', 'two', 'three']) {
      ids.push(
        (
          await a.request({
            type: 'SEND_MESSAGE',
            conversationId: conv,
            content,
            tempId: `t-${newObjectId()}`,
          })
        ).messageId,
      );
    }
    const own = await b.request({
      type: 'SEND_MESSAGE',
      conversationId: conv,
      content: 'mine',
      tempId: `t-${newObjectId()}`,
    });
    b.send({ type: 'MARK_SEEN', conversationId: conv, messageId: own.messageId });
    for (const id of ids)
      await a.waitFor('MESSAGE_STATUS', (f) => f.messageId === id && f.status === 'SEEN');
    // Behind the watermark already: these move nothing, so they must report nothing.
    b.send({ type: 'MARK_DELIVERED', conversationId: conv, messageId: ids[2] });
    b.send({ type: 'MARK_SEEN', conversationId: conv, messageId: ids[1] });
    // A status alice gets after any the two above could have caused.
    const flush = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: conv,
      content: 'flush',
      tempId: `t-${newObjectId()}`,
    });
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === flush.messageId);
    b.send({ type: 'MARK_SEEN', conversationId: conv, messageId: flush.messageId });
    await a.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === flush.messageId && f.status === 'SEEN',
    );
    const statuses = a.all('MESSAGE_STATUS', (f) => ids.includes(f.messageId));
    expect(statuses.map((f) => `${f.messageId}:${f.status}`).sort()).toEqual(
      ids.map((id) => `${id}:SEEN`).sort(),
    );
    expect(b.all('MESSAGE_STATUS')).toHaveLength(0);
  });

  it('tells the sender when a group message becomes DELIVERED because the last recipient read it', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'read-implies',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    const a = await connect(alice);
    const c = await connect(carol);
    const ack = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: 'hi both',
      tempId: `t-${newObjectId()}`,
    });
    await c.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId);
    c.send({ type: 'MARK_DELIVERED', conversationId: group, messageId: ack.messageId });
    await c.request({ type: 'ping' });
    // bob never confirms delivery; reading it is enough
    await bob.api.patch(`${base}/conversations/${group}/seen?message_id=${ack.messageId}`);
    await a.waitFor(
      'MESSAGE_STATUS',
      (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
    );
  });

  it('relays TYPING to the other participants only, never persisted', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'typing',
        participant_ids: [bob.id],
      })
    ).body.data.id;
    const a = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    a.send({ type: 'TYPING', conversationId: group });
    expect(await b.waitFor('TYPING')).toEqual({
      type: 'TYPING',
      conversationId: group,
      userId: alice.id,
      username: alice.username,
    });
    await a.request({ type: 'ping' });
    await c.request({ type: 'ping' });
    expect(a.all('TYPING')).toHaveLength(0);
    expect(c.all('TYPING')).toHaveLength(0);
    const page = (await alice.api.get(`${base}/conversations/${group}/messages`)).body.data;
    expect(page).toEqual([]);
  });

  it.each(['SEND_MESSAGE', 'TYPING', 'MARK_SEEN', 'MARK_DELIVERED'])(
    'refuses %s from a non-participant',
    async (type) => {
      const c = await connect(carol);
      const messageId = (
        await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'private' })
      ).body.data.id;
      const reply = await c.request({
        type,
        conversationId: dm,
        messageId,
        content: 'intrude',
        tempId: 'x1',
      });
      expect(reply).toMatchObject({
        type: 'ERROR',
        code: 'NOT_PARTICIPANT',
        message: expect.any(String),
      });
      const unknown = await c.request({
        type,
        conversationId: newObjectId(),
        messageId,
        content: 'x',
        tempId: 'x2',
      });
      expect(unknown).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    },
  );

  it('answers bad frames with ERROR and keeps the connection open', async () => {
    const a = await connect(alice);
    const validation = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: 'nope',
      content: 'x',
      tempId: 'tv',
    });
    expect(validation).toMatchObject({ type: 'ERROR', code: 'VALIDATION', tempId: 'tv' });
    const empty = await a.request({ type: 'SEND_MESSAGE', conversationId: dm, tempId: 'te' });
    expect(empty).toMatchObject({ type: 'ERROR', code: 'VALIDATION', tempId: 'te' });
    const unknown = await a.request({ type: 'LAUNCH_ROCKETS' }, ['ERROR']);
    expect(unknown).toMatchObject({ type: 'ERROR', code: 'UNKNOWN_TYPE' });
    const big = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'x'.repeat(70_000),
      tempId: 'tb',
    });
    expect(big).toMatchObject({ type: 'ERROR', code: 'FRAME_TOO_LARGE' });
    const bigger = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'x'.repeat(600_000),
      tempId: 'tb2',
    });
    expect(bigger).toMatchObject({ type: 'ERROR', code: 'FRAME_TOO_LARGE' });
    if (transport === 'raw') {
      const raw = rawClient(a);
      raw.sendRaw('this is not json');
      expect(await raw.waitFor('ERROR', (f) => f.code === 'BAD_FRAME')).toMatchObject({
        message: expect.any(String),
      });
      raw.sendRaw('[1,2,3]');
      raw.sendRaw('{"no":"type"}');
      raw.sendRaw('{"type":"disconnect"}');
      // Answered in order, so the last one's answer comes after the others'.
      await raw.waitFor(
        'ERROR',
        (f) => f.code === 'UNKNOWN_TYPE' && String(f.message).includes('disconnect'),
      );
      expect(raw.all('ERROR', (f) => f.code === 'BAD_FRAME')).toHaveLength(3);
      // LAUNCH_ROCKETS above and `disconnect` (reserved by Socket.IO, never a client frame)
      expect(raw.all('ERROR', (f) => f.code === 'UNKNOWN_TYPE')).toHaveLength(2);
    }
    expect(await a.request({ type: 'ping' })).toEqual({ type: 'pong' });
  });

  it('delivers edits, deletions and membership changes; a member who left gets nothing more', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'events',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id;
    const a = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    const sent = (
      await alice.api.post(`${base}/conversations/${group}/messages`, { content: 'draft' })
    ).body.data;
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === sent.id);
    await alice.api.patch(`${base}/conversations/${group}/messages/${sent.id}`, {
      content: 'final',
    });
    expect(await b.waitFor('MESSAGE_UPDATED')).toMatchObject({
      conversationId: group,
      messageId: sent.id,
      content: 'final',
      updatedAt: expect.any(String),
    });
    await alice.api.delete(`${base}/conversations/${group}/messages/${sent.id}`);
    expect(await c.waitFor('MESSAGE_DELETED')).toMatchObject({
      conversationId: group,
      messageId: sent.id,
      deletedAt: expect.any(String),
    });

    await carol.api.delete(`${base}/conversations/${group}/participants/${carol.id}`);
    expect(await a.waitFor('PARTICIPANTS_CHANGED')).toMatchObject({
      conversationId: group,
      removed: [carol.id],
    });
    await c.waitFor('PARTICIPANTS_CHANGED');
    const after = (
      await alice.api.post(`${base}/conversations/${group}/messages`, { content: 'carol is gone' })
    ).body.data;
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === after.id);
    b.send({ type: 'TYPING', conversationId: group });
    await a.waitFor('TYPING', (f) => f.conversationId === group);
    await c.request({ type: 'ping' });
    expect(c.all('NEW_MESSAGE', (f) => f.messageId === after.id)).toHaveLength(0);
    expect(c.all('TYPING')).toHaveLength(0);
    const refused = await c.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: 'let me in',
      tempId: 'tl',
    });
    expect(refused).toMatchObject({ type: 'ERROR', code: 'NOT_PARTICIPANT' });
  });

  it('tells every device of the user, on both transports, and nobody else, of a mute', async () => {
    const a1 = await connect(alice);
    const a2 = await connect(alice, transport === 'raw' ? 'socket.io' : 'raw');
    const b = await connect(bob);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await alice.api.patch(`${base}/conversations/${dm}/mute`, { muted: true, until });
    const expected = {
      type: 'CONVERSATION_MUTED',
      conversationId: dm,
      muted: true,
      mutedUntil: until,
    };
    expect(await a1.waitFor('CONVERSATION_MUTED')).toEqual(expected);
    expect(await a2.waitFor('CONVERSATION_MUTED')).toEqual(expected);
    await alice.api.patch(`${base}/conversations/${dm}/mute`, { muted: false });
    for (const a of [a1, a2]) {
      expect(await a.waitFor('CONVERSATION_MUTED', (f) => f.muted === false)).toEqual({
        type: 'CONVERSATION_MUTED',
        conversationId: dm,
        muted: false,
        mutedUntil: null,
      });
    }
    // Bob's socket got neither, though it is in the conversation: a later frame proves the order.
    const marker = (
      await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'after muting' })
    ).body.data.id;
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === marker);
    expect(b.all('CONVERSATION_MUTED')).toHaveLength(0);
  });

  it('carries mentions in NEW_MESSAGE and, re-resolved, in MESSAGE_UPDATED', async () => {
    const group = (
      await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'mentions',
        participant_ids: [bob.id, carol.id],
      })
    ).body.data.id as string;
    const a = await connect(alice);
    const b = await connect(bob);
    const ack = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: `hey @${bob.username}`,
      mentions: [carol.id, newObjectId()],
      tempId: `t-${newObjectId()}`,
    });
    expect(ack).toMatchObject({ type: 'MESSAGE_ACK' });
    const messageId = ack.messageId as string;
    const incoming = await b.waitFor('NEW_MESSAGE', (f) => f.messageId === messageId);
    expect([...(incoming.mentions as string[])].sort()).toEqual([bob.id, carol.id].sort());
    const plain = await a.request({ type: 'SEND_MESSAGE', conversationId: group, content: 'hi' });
    expect(
      (await b.waitFor('NEW_MESSAGE', (f) => f.messageId === plain.messageId)).mentions,
    ).toEqual([]);
    const bad = await a.request({
      type: 'SEND_MESSAGE',
      conversationId: group,
      content: 'hi',
      mentions: ['not-an-id'],
    });
    expect(bad).toMatchObject({ type: 'ERROR', code: 'VALIDATION' });
    await alice.api.patch(`${base}/conversations/${group}/messages/${plain.messageId as string}`, {
      content: `hi @${carol.username}`,
    });
    expect(
      await b.waitFor('MESSAGE_UPDATED', (f) => f.messageId === plain.messageId),
    ).toMatchObject({ content: `hi @${carol.username}`, mentions: [carol.id] });
  });

  it('pins and unpins with PIN_MESSAGE / UNPIN_MESSAGE, telling the participants only', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    const m = (await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'pin me' }))
      .body.data.id as string;
    const replies = ['MESSAGE_PINNED', 'MESSAGE_UNPINNED', 'ERROR'];
    const pinned = await a.request(
      { type: 'PIN_MESSAGE', conversationId: dm, messageId: m },
      replies,
    );
    const expected = {
      type: 'MESSAGE_PINNED',
      conversationId: dm,
      messageId: m,
      userId: alice.id,
      pinnedAt: expect.any(String),
    };
    expect(pinned).toEqual(expected);
    expect(await b.waitFor('MESSAGE_PINNED', (f) => f.messageId === m)).toEqual({
      ...expected,
      pinnedAt: pinned.pinnedAt,
    });
    const unpinned = await b.request(
      { type: 'UNPIN_MESSAGE', conversationId: dm, messageId: m },
      replies,
    );
    expect(unpinned).toEqual({
      type: 'MESSAGE_UNPINNED',
      conversationId: dm,
      messageId: m,
      userId: bob.id,
      unpinnedAt: expect.any(String),
    });
    expect(await a.waitFor('MESSAGE_UNPINNED', (f) => f.messageId === m)).toMatchObject({
      userId: bob.id,
    });
    // Refusals: an outsider, an unknown message, a malformed frame.
    expect(
      await c.request({ type: 'PIN_MESSAGE', conversationId: dm, messageId: m }, replies),
    ).toMatchObject({ type: 'ERROR', code: 'NOT_PARTICIPANT' });
    expect(
      await a.request(
        { type: 'PIN_MESSAGE', conversationId: dm, messageId: newObjectId() },
        replies,
      ),
    ).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    expect(await a.request({ type: 'UNPIN_MESSAGE', conversationId: dm }, replies)).toMatchObject({
      type: 'ERROR',
      code: 'VALIDATION',
    });
    // Carol got none of the pin events: a later frame of hers proves the order.
    await c.request({ type: 'ping' });
    expect(c.all('MESSAGE_PINNED')).toHaveLength(0);
    expect(c.all('MESSAGE_UNPINNED')).toHaveLength(0);
  });

  it('refuses SEND_MESSAGE into a blocked DIRECT from either side with BLOCKED, delivering nothing', async () => {
    const [dana, eve] = await Promise.all([registerUser(api, 'dana'), registerUser(api, 'eve')]);
    const pair = (await dana.api.post(`${base}/direct/${eve.id}`)).body.data.id as string;
    const d = await connect(dana);
    const e = await connect(eve);
    expect((await dana.api.request('PUT', `${base}/blocks/${eve.id}`)).status).toBe(200);
    // The blocker is told why (unblock to write); the blocked user only that they cannot.
    for (const [client, tempId, message] of [
      [e, 'blocked-1', expect.not.stringMatching(/you blocked/)],
      [d, 'blocked-2', expect.stringMatching(/you blocked this user/)],
    ] as const) {
      const reply = await client.request({
        type: 'SEND_MESSAGE',
        conversationId: pair,
        content: 'through the wall',
        tempId,
      });
      expect(reply).toEqual({ type: 'ERROR', code: 'BLOCKED', message, tempId });
    }
    // Groups are unaffected.
    const group = (
      await dana.api.post(`${base}/conversations`, {
        type: 'GROUP',
        participant_ids: [eve.id],
        name: 'block-free',
      })
    ).body.data.id as string;
    expect(
      await e.request({ type: 'SEND_MESSAGE', conversationId: group, content: 'ok', tempId: 'g1' }),
    ).toMatchObject({ type: 'MESSAGE_ACK', tempId: 'g1' });
    await dana.api.delete(`${base}/blocks/${eve.id}`);
    const marker = await e.request({
      type: 'SEND_MESSAGE',
      conversationId: pair,
      content: 'after the unblock',
      tempId: 'blocked-3',
    });
    expect(marker).toMatchObject({ type: 'MESSAGE_ACK', tempId: 'blocked-3', seq: 1 });
    const after = await d.waitFor('NEW_MESSAGE', (f) => f.conversationId === pair);
    expect(after).toMatchObject({ content: 'after the unblock' });
    expect(d.all('NEW_MESSAGE', (f) => f.content === 'through the wall')).toHaveLength(0);
    // Nobody is told of the block or the unblock: eve got only her own replies and the group's.
    expect(e.frames.map((f) => f.type).filter((t) => t !== 'connected')).toEqual(
      transport === 'raw' ? ['ERROR', 'MESSAGE_ACK', 'MESSAGE_ACK'] : [],
    );
  });

  /**
   * A REACT / UNREACT reply. Raw clients get it as a frame beside the live MESSAGE_REACTIONS of
   * their own change; the reply is the one whose counts say `me`.
   */
  const reactRequest = async (client: RealtimeClient, f: Frame): Promise<Frame> => {
    if (client.transport !== 'raw') return client.request(f);
    const before = client.frames.length;
    client.send(f);
    return client.waitFor(
      ['MESSAGE_REACTIONS', 'ERROR'],
      (x) =>
        client.frames.indexOf(x) >= before &&
        (x.type === 'ERROR' || (x.reactions as object[]).every((r) => 'me' in r)),
    );
  };

  it('REACT / UNREACT answer the message’s reactions and tell every participant, nobody else', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    const m = (
      await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'react here' })
    ).body.data.id as string;
    await b.waitFor('NEW_MESSAGE', (f) => f.messageId === m);
    const reacted = await reactRequest(b, {
      type: 'REACT',
      conversationId: dm,
      messageId: m,
      emoji: '🎉',
    });
    expect(reacted).toEqual({
      type: 'MESSAGE_REACTIONS',
      conversationId: dm,
      messageId: m,
      seq: expect.any(Number),
      userId: bob.id,
      emoji: '🎉',
      action: 'added',
      reactions: [{ emoji: '🎉', count: 1, me: true }],
    });
    const live = {
      type: 'MESSAGE_REACTIONS',
      conversationId: dm,
      messageId: m,
      seq: reacted.seq,
      userId: bob.id,
      emoji: '🎉',
      action: 'added',
      reactions: [{ emoji: '🎉', count: 1 }],
    };
    expect(await a.waitFor('MESSAGE_REACTIONS', (f) => f.messageId === m)).toEqual(live);
    // A repeat is answered the same and emits nothing; the unreact that follows is the next event.
    expect(
      await reactRequest(b, { type: 'REACT', conversationId: dm, messageId: m, emoji: '🎉' }),
    ).toMatchObject({ reactions: [{ emoji: '🎉', count: 1, me: true }] });
    const unreacted = await reactRequest(b, {
      type: 'UNREACT',
      conversationId: dm,
      messageId: m,
      emoji: '🎉',
    });
    expect(unreacted).toMatchObject({
      type: 'MESSAGE_REACTIONS',
      action: 'removed',
      reactions: [],
    });
    expect(
      await a.waitFor('MESSAGE_REACTIONS', (f) => f.messageId === m && f.action === 'removed'),
    ).toEqual({ ...live, action: 'removed', reactions: [] });
    expect(a.all('MESSAGE_REACTIONS', (f) => f.messageId === m)).toHaveLength(2);
    const refused = await reactRequest(c, {
      type: 'REACT',
      conversationId: dm,
      messageId: m,
      emoji: '🎉',
    });
    expect(refused).toMatchObject({ type: 'ERROR', code: 'NOT_PARTICIPANT' });
    // Bob hears his own unreact too, and with no reactions left that event reads like his answer:
    // it must be in before his next request, or that request would take it for its own answer.
    if (b.transport === 'raw') {
      const removed = (x: Frame): boolean => x.messageId === m && x.action === 'removed';
      await b.waitFor(
        'MESSAGE_REACTIONS',
        (x) => removed(x) && b.all('MESSAGE_REACTIONS', removed).length >= 2,
      );
    }
    const invalid = await reactRequest(b, {
      type: 'REACT',
      conversationId: dm,
      messageId: m,
      emoji: ' ',
    });
    expect(invalid).toMatchObject({ type: 'ERROR', code: 'VALIDATION' });
    await c.request({ type: 'ping' });
    expect(c.all('MESSAGE_REACTIONS')).toHaveLength(0);
  });

  it('refuses a REACT with a 51st different emoji with CONFLICT, telling nobody; joining one still works', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    const messages = `${base}/conversations/${dm}/messages`;
    const m = (await alice.api.post(messages, { content: 'full up' })).body.data.id as string;
    const emojis = Array.from({ length: 51 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const emoji of emojis.slice(0, 50)) {
      const res = await alice.api.request(
        'PUT',
        `${messages}/${m}/reactions/${encodeURIComponent(emoji)}`,
      );
      expect(res.status).toBe(200);
    }
    const frame = { conversationId: dm, messageId: m };
    expect(await reactRequest(b, { type: 'REACT', ...frame, emoji: emojis[50] })).toMatchObject({
      type: 'ERROR',
      code: 'CONFLICT',
    });
    const joined = await reactRequest(b, { type: 'REACT', ...frame, emoji: emojis[7] });
    expect(joined).toMatchObject({ type: 'MESSAGE_REACTIONS', userId: bob.id, action: 'added' });
    expect((joined.reactions as object[])[7]).toEqual({ emoji: emojis[7], count: 2, me: true });
    // The join is the next event alice hears after the 50: nothing came of the refusal.
    await a.waitFor('MESSAGE_REACTIONS', (f) => f.messageId === m && f.userId === bob.id);
    expect(a.all('MESSAGE_REACTIONS', (f) => f.emoji === emojis[50])).toHaveLength(0);
    expect(a.all('MESSAGE_REACTIONS', (f) => f.messageId === m)).toHaveLength(51);
  });

  it('SYNC returns what a client missed, with a cursor', async () => {
    const a = await connect(alice);
    const first = await a.request({ type: 'SYNC' });
    expect(first).toMatchObject({
      type: 'SYNC_RESULT',
      events: expect.any(Array),
      has_more: expect.any(Boolean),
    });
    // Page to the end of what is there now.
    let page = first;
    while (page.has_more) page = await a.request({ type: 'SYNC', since: page.next_cursor });
    const cursor = page.next_cursor as string | null;
    expect(cursor).toEqual(expect.any(String));
    const missed = (
      await bob.api.post(`${base}/conversations/${dm}/messages`, { content: 'while you were away' })
    ).body.data;
    const sync = await a.request({ type: 'SYNC', since: cursor });
    const events = sync.events as Record<string, unknown>[];
    expect(events.filter((e) => e.type === 'NEW_MESSAGE').map((e) => e.messageId)).toEqual([
      missed.id,
    ]);
    expect(sync.next_cursor).toEqual(expect.any(String));
    const again = await a.request({ type: 'SYNC', since: sync.next_cursor });
    expect(
      (again.events as Record<string, unknown>[]).filter((e) => e.type === 'NEW_MESSAGE'),
    ).toEqual([]);
    // receipts made while the client was away come back too, with no message changed since
    const mine = (
      await alice.api.post(`${base}/conversations/${dm}/messages`, { content: 'seen later' })
    ).body.data;
    const upToMine = await a.request({ type: 'SYNC', since: again.next_cursor });
    await bob.api.patch(`${base}/conversations/${dm}/seen?message_id=${mine.id}`);
    const receipts = (await a.request({ type: 'SYNC', since: upToMine.next_cursor }))
      .events as Record<string, unknown>[];
    expect(receipts.filter((e) => e.type === 'NEW_MESSAGE')).toEqual([]);
    expect(receipts).toContainEqual({
      type: 'MESSAGE_SEEN',
      conversationId: dm,
      userId: bob.id,
      username: bob.username,
      lastSeenMessageId: mine.id,
      seq: mine.seq,
    });
    expect(receipts).toContainEqual({
      type: 'MESSAGE_STATUS',
      conversationId: dm,
      messageId: mine.id,
      status: 'SEEN',
    });
    const bad = await a.request({ type: 'SYNC', since: 'garbage!' });
    expect(bad).toMatchObject({ type: 'ERROR', code: 'VALIDATION' });
  });

  it('shows presence in REST while connected', async () => {
    const b = await connect(bob);
    const listed = (await alice.api.get(`${base}/conversations`)).body.data.find(
      (c: { id: string }) => c.id === dm,
    );
    expect(listed.is_online).toBe(true);
    await b.close();
    // No frame announces presence, so the REST view is re-read until the server has seen the close.
    await waitFor(
      async () =>
        !(await alice.api.get(`${base}/conversations`)).body.data.find(
          (c: { id: string }) => c.id === dm,
        ).is_online,
      { what: 'bob to show offline in alice’s conversation list' },
    );
  });

  if (transport === 'socket.io') {
    it('replies through the acknowledgement callback only', async () => {
      const a = await connect(alice);
      const tempId = `t-${newObjectId()}`;
      const reply = await a.request({
        type: 'SEND_MESSAGE',
        conversationId: dm,
        content: 'acked',
        tempId,
      });
      expect(reply).toEqual({
        type: 'MESSAGE_ACK',
        tempId,
        messageId: expect.any(String),
        conversationId: dm,
        seq: expect.any(Number),
        status: 'SENT',
      });
      expect(
        await a.request({ type: 'MARK_SEEN', conversationId: dm, messageId: reply.messageId }),
      ).toEqual({ type: 'OK' });
      await a.request({ type: 'ping' });
      expect(a.all('MESSAGE_ACK')).toHaveLength(0);
    });

    it('counts a Socket.IO acknowledgement of NEW_MESSAGE as delivery, even beside a raw device', async () => {
      const a = await connect(alice);
      await connect(bob, 'raw');
      await connect(bob, 'socket.io', true);
      const ack = await a.request({
        type: 'SEND_MESSAGE',
        conversationId: dm,
        content: 'ack me',
        tempId: `t-${newObjectId()}`,
      });
      await a.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
        2000,
      );
    });
  }
});

describe.each(transports)('flood control over %s', (transport) => {
  let node: RunningNode;
  let user: TestUser;

  beforeAll(async () => {
    node = await startTestNode({ RATE_LIMIT_FRAMES_PER_SECOND: '1', RATE_LIMIT_FRAMES_BURST: '5' });
    user = await registerUser(new Api(node.url), 'flood');
  });
  afterAll(() => node.close());

  it('answers RATE_LIMITED, then closes a socket that keeps flooding', async () => {
    const client = await connectClient(node.url, user.token, transport);
    const closed =
      transport === 'raw'
        ? rawClient(client).waitClosed(10_000)
        : new Promise<string>((resolve) =>
            (
              client as unknown as { socket: { once(e: string, f: (r: string) => void): void } }
            ).socket.once('disconnect', resolve),
          );
    for (let i = 0; i < 80; i++) client.send({ type: 'ping' });
    await client.waitFor('ERROR', (f) => f.code === 'RATE_LIMITED');
    await closed;
    expect(client.all('pong').length).toBeLessThanOrEqual(6);
    expect(client.all('ERROR', (f) => f.code === 'RATE_LIMITED').length).toBeGreaterThan(0);
    await client.close();
  });
});
