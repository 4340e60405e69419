// The typed client (`parley/client`) against a real node: send → ACK, a retried send stays one
// message, catch-up with SYNC after a dropped connection, and a seq jump filled with SYNC.
import {
  connect,
  ParleyClientError,
  type ParleyClient,
  type ServerPayload,
} from '../../src/client';
import { newObjectId } from '../../src/domain/ids';
import type { RunningNode } from '../../src/node';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

type NewMessage = ServerPayload<'NEW_MESSAGE'>;

/** Resolves when `predicate` holds, checked on every event; fails after `ms`. */
function until(what: string, predicate: () => boolean, ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (predicate()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

describe('parley/client', () => {
  let node: RunningNode;
  let api: Api;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    node = await startTestNode();
    api = new Api(node.url);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await node.close();
  });

  async function open(
    user: TestUser,
    options: Partial<Parameters<typeof connect>[0]> = {},
  ): Promise<{ client: ParleyClient; received: NewMessage[] }> {
    const client = connect({
      url: node.url,
      token: user.token,
      socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 200 },
      ...options,
    });
    clients.push(client);
    const received: NewMessage[] = [];
    client.on('NEW_MESSAGE', (m) => received.push(m));
    let greeted = false;
    client.on('connected', () => {
      greeted = true;
    });
    await until('the connected greeting', () => greeted);
    return { client, received };
  }

  async function pair(): Promise<{ alice: TestUser; bob: TestUser; conversationId: string }> {
    const alice = await registerUser(api, 'ca');
    const bob = await registerUser(api, 'cb');
    const dm = await alice.api.post(`/api/v1/messages/direct/${bob.id}`);
    return { alice, bob, conversationId: dm.body.data.id as string };
  }

  const sendRest = (user: TestUser, conversationId: string, content: string) =>
    user.api.post(`/api/v1/messages/conversations/${conversationId}/messages`, { content });

  it('send resolves with the MESSAGE_ACK; the recipient acknowledges delivery by default', async () => {
    const { alice, bob, conversationId } = await pair();
    const a = await open(alice);
    const b = await open(bob);
    const statuses: ServerPayload<'MESSAGE_STATUS'>[] = [];
    a.client.on('MESSAGE_STATUS', (s) => statuses.push(s));

    const ack = await a.client.send({ conversationId, content: 'hi bob', tempId: 'ack-1' });
    expect(ack).toEqual({
      tempId: 'ack-1',
      messageId: expect.any(String),
      conversationId,
      seq: 1,
      status: 'SENT',
    });
    await until('bob gets it', () => b.received.length === 1);
    expect(b.received[0]).toMatchObject({ messageId: ack.messageId, content: 'hi bob', seq: 1 });
    await until('DELIVERED', () =>
      statuses.some((s) => s.messageId === ack.messageId && s.status === 'DELIVERED'),
    );
  });

  it('hands on(CONVERSATION_MUTED) a mute made on another device', async () => {
    const { alice, conversationId } = await pair();
    const a = await open(alice);
    const mutes: ServerPayload<'CONVERSATION_MUTED'>[] = [];
    a.client.on('CONVERSATION_MUTED', (m) => mutes.push(m));
    await alice.api.patch(`/api/v1/messages/conversations/${conversationId}/mute`, { muted: true });
    await until('the mute', () => mutes.length === 1);
    expect(mutes[0]).toEqual({ conversationId, muted: true, mutedUntil: null });
  });

  it('searches messages over REST, page by page, and rejects a refusal with its code', async () => {
    const { alice, conversationId } = await pair();
    const a = await open(alice);
    const first = await a.client.send({ conversationId, content: 'quince jam' });
    const second = await a.client.send({ conversationId, content: 'more quince' });
    // Hits come newest first by (created_at, id): sent back to back, the two may share a
    // millisecond, and the id then decides which one is first.
    const all = await a.client.searchMessages({ q: 'quince' });
    const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    const newestFirst = [...all.messages].sort(
      (x, y) => byCodePoint(y.created_at, x.created_at) || byCodePoint(y.id, x.id),
    );
    expect(all.messages.map((m) => m.id)).toEqual(newestFirst.map((m) => m.id));
    expect([...all.messages.map((m) => m.id)].sort()).toEqual(
      [first.messageId, second.messageId].sort(),
    );
    const [top, bottom] = all.messages;
    const page = await a.client.searchMessages({ q: 'Quince', limit: 1 });
    expect(page.messages.map((m) => m.id)).toEqual([top?.id]);
    expect(page.hasMore).toBe(true);
    const next = await a.client.searchMessages({
      q: 'quince',
      conversationId,
      cursor: page.nextCursor ?? undefined,
    });
    expect(next).toEqual({
      messages: [expect.objectContaining({ id: bottom?.id, content: bottom?.content })],
      nextCursor: null,
      hasMore: false,
    });
    await expect(a.client.searchMessages({ q: '  ' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('reacts and unreacts, and hands on(MESSAGE_REACTIONS) the other side’s changes', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = [await open(alice), await open(bob)];
    const seen: ServerPayload<'MESSAGE_REACTIONS'>[] = [];
    b.client.on('MESSAGE_REACTIONS', (r) => seen.push(r));
    const ack = await a.client.send({ conversationId, content: 'react' });
    const added = await a.client.react(conversationId, ack.messageId, '👍');
    expect(added).toMatchObject({
      action: 'added',
      reactions: [{ emoji: '👍', count: 1, me: true }],
    });
    await until('bob sees it', () => seen.length === 1);
    expect(seen[0]).toMatchObject({ userId: alice.id, reactions: [{ emoji: '👍', count: 1 }] });
    // A repeat answers the same and tells nobody: bob's next frame is the removal.
    expect((await a.client.react(conversationId, ack.messageId, '👍')).reactions).toEqual(
      added.reactions,
    );
    const removed = await a.client.unreact(conversationId, ack.messageId, '👍');
    expect(removed.reactions).toEqual([]);
    await until('bob sees the removal', () => seen.length >= 2);
    expect(seen.map((r) => r.action)).toEqual(['added', 'removed']);
    await expect(a.client.react(conversationId, ack.messageId, 'a b')).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  // Pins and mentions (issue 11): frames the client sends and forwards, and the REST list.
  describe('pins and mentions', () => {
    /** The next `type` frame the client hands its subscribers that matches. */
    const next = <K extends 'MESSAGE_PINNED' | 'MESSAGE_UNPINNED' | 'NEW_MESSAGE'>(
      client: ParleyClient,
      type: K,
      match: (p: ServerPayload<K>) => boolean,
    ): Promise<ServerPayload<K>> =>
      new Promise((resolve) => {
        const off = client.on(type, (p) => {
          if (!match(p)) return;
          off();
          resolve(p);
        });
      });

    it('pins, lists and unpins; the other participant gets on(MESSAGE_PINNED/MESSAGE_UNPINNED)', async () => {
      const { alice, bob, conversationId } = await pair();
      const a = await open(alice);
      const b = await open(bob);
      const sent = await a.client.send({ conversationId, content: 'pin this' });
      const { messageId } = sent;
      const target = { conversationId, messageId, userId: alice.id };

      const bobSeesPin = next(b.client, 'MESSAGE_PINNED', (p) => p.messageId === messageId);
      const pinned = await a.client.pin(conversationId, messageId);
      expect(pinned).toEqual({ ...target, pinnedAt: expect.any(String) });
      expect(await bobSeesPin).toEqual(pinned);
      expect(await b.client.listPins(conversationId)).toEqual([
        expect.objectContaining({
          id: messageId,
          content: 'pin this',
          pinned_at: pinned.pinnedAt,
          pinned_by: alice.id,
        }),
      ]);

      const bobSeesUnpin = next(b.client, 'MESSAGE_UNPINNED', (p) => p.messageId === messageId);
      const unpinned = await a.client.unpin(conversationId, messageId);
      expect(unpinned).toEqual({ ...target, unpinnedAt: expect.any(String) });
      expect(await bobSeesUnpin).toEqual(unpinned);
      expect(await a.client.listPins(conversationId)).toEqual([]);
    });

    it('rejects a refused pin, and a refused list, with the error code', async () => {
      const { alice, conversationId } = await pair();
      const { messageId } = await open(alice).then((a) =>
        a.client.send({ conversationId, content: 'not yours' }),
      );
      const o = await open(await registerUser(api, 'co'));
      await expect(o.client.pin(conversationId, messageId)).rejects.toMatchObject({
        code: 'NOT_PARTICIPANT',
      });
      await expect(o.client.unpin(conversationId, messageId)).rejects.toMatchObject({
        code: 'NOT_PARTICIPANT',
      });
      await expect(o.client.listPins(conversationId)).rejects.toMatchObject({
        code: 'NOT_PARTICIPANT',
      });
      await expect(o.client.listPins('not-an-id')).rejects.toMatchObject({ code: 'VALIDATION' });
    });

    it('sends with mentions: the recipient’s NEW_MESSAGE names them', async () => {
      const { alice, bob, conversationId } = await pair();
      const a = await open(alice);
      const b = await open(bob);
      const arrives = next(b.client, 'NEW_MESSAGE', (m) => m.content === 'for you');
      const ack = await a.client.send({ conversationId, content: 'for you', mentions: [bob.id] });
      expect(await arrives).toMatchObject({ messageId: ack.messageId, mentions: [bob.id] });
      await expect(
        a.client.send({ conversationId, content: 'bad', mentions: ['nope'] }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });

  // Blocking (issue 11): REST calls of the client; a send into the blocked DIRECT rejects at once.
  describe('blocking', () => {
    it('blocks, lists page by page and unblocks; a send into the blocked DIRECT rejects with BLOCKED', async () => {
      const { alice, bob, conversationId } = await pair();
      const carol = await registerUser(api, 'cc');
      const a = await open(alice);
      const b = await open(bob);

      const blocked = await a.client.block(bob.id);
      expect(blocked).toEqual({
        user: expect.objectContaining({ id: bob.id, username: bob.username }),
        blocked: true,
        blocked_at: expect.any(String),
      });
      // Repeatable, keeping the first time.
      expect((await a.client.block(bob.id)).blocked_at).toBe(blocked.blocked_at);
      await a.client.block(carol.id);
      const first = await a.client.listBlocks({ limit: 1 });
      expect(first).toMatchObject({ blocks: [expect.anything()], hasMore: true });
      const second = await a.client.listBlocks({ limit: 1, cursor: first.nextCursor ?? undefined });
      expect(second).toMatchObject({
        blocks: [expect.anything()],
        hasMore: false,
        nextCursor: null,
      });
      expect([...first.blocks, ...second.blocks].map((x) => x.user.id).sort()).toEqual(
        [bob.id, carol.id].sort(),
      );
      expect((await b.client.listBlocks()).blocks).toEqual([]);

      // BLOCKED is not retried: the first refusal rejects, with the side's reason.
      await expect(b.client.send({ conversationId, content: 'let me' })).rejects.toMatchObject({
        code: 'BLOCKED',
      });
      await expect(a.client.send({ conversationId, content: 'me neither' })).rejects.toMatchObject({
        code: 'BLOCKED',
        message: expect.stringMatching(/you blocked this user/),
      });

      expect(await a.client.unblock(bob.id)).toEqual({
        user: expect.objectContaining({ id: bob.id }),
        blocked: false,
        blocked_at: null,
      });
      expect((await a.client.listBlocks()).blocks.map((x) => x.user.id)).toEqual([carol.id]);
      const ack = await b.client.send({ conversationId, content: 'thanks' });
      expect(ack).toMatchObject({ conversationId, seq: 1 });
    });

    it('rejects a refused block, unblock or list with the error code', async () => {
      const zed = await registerUser(api, 'cz');
      const { client } = await open(zed);
      await expect(client.block(zed.id)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(client.unblock(newObjectId())).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(client.block('not-an-id')).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(client.listBlocks({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(client.listBlocks({ cursor: '!!' })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      expect(await client.listBlocks()).toEqual({ blocks: [], nextCursor: null, hasMore: false });
    });
  });

  it('rejects with the error code when the server refuses for good', async () => {
    const { conversationId } = await pair();
    const outsider = await registerUser(api, 'co');
    const o = await open(outsider);
    await expect(o.client.send({ conversationId, content: 'let me in' })).rejects.toMatchObject({
      code: 'NOT_PARTICIPANT',
    });
    await expect(o.client.send({ conversationId, content: 'x' })).rejects.toBeInstanceOf(
      ParleyClientError,
    );
  });

  it('a send cut off by a dropped connection is retried with its tempId: one message', async () => {
    const { alice, conversationId } = await pair();
    const a = await open(alice);
    const sending = a.client.send({ conversationId, content: 'through the storm', tempId: 'r-1' });
    // The transport drops while the send is in flight; the client reconnects and retries.
    a.client.socket.io.engine.close();
    const ack = await sending;
    const again = await a.client.send({
      conversationId,
      content: 'through the storm',
      tempId: 'r-1',
    });
    expect(again.messageId).toBe(ack.messageId);
    const list = await alice.api.get(`/api/v1/messages/conversations/${conversationId}/messages`);
    expect(list.body.data.map((m: { temp_id: string }) => m.temp_id)).toEqual(['r-1']);
  });

  it('catches up with SYNC after a reconnect: every missed message once, in seq order', async () => {
    const { alice, bob, conversationId } = await pair();
    const b = await open(bob, {
      socketOptions: { reconnectionDelay: 600, reconnectionDelayMax: 600 },
    });
    await sendRest(alice, conversationId, 'before');
    await until('the first message', () => b.received.length === 1);

    let disconnected = false;
    b.client.socket.once('disconnect', () => {
      disconnected = true;
    });
    b.client.socket.io.engine.close();
    await until('the drop', () => disconnected);
    for (const text of ['while away 1', 'while away 2', 'while away 3']) {
      await sendRest(alice, conversationId, text);
    }
    await until('the catch-up', () => b.received.length === 4);
    expect(b.received.map((m) => [m.seq, m.content])).toEqual([
      [1, 'before'],
      [2, 'while away 1'],
      [3, 'while away 2'],
      [4, 'while away 3'],
    ]);
    expect(b.client.positions.get(conversationId)).toBe(4);
  });

  it('fills a seq jump with SYNC positions before delivering what came after it', async () => {
    const { alice, bob, conversationId } = await pair();
    for (const text of ['one', 'two', 'three']) await sendRest(alice, conversationId, text);
    // Bob holds seq 1 only: the next live message (seq 4) is a jump over 2 and 3.
    const b = await open(bob, { positions: { [conversationId]: 1 } });
    await sendRest(alice, conversationId, 'four');
    await until('the gap fill', () => b.received.length === 3);
    expect(b.received.map((m) => [m.seq, m.content])).toEqual([
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ]);
  });
});
