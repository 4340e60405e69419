// Hostile input at the edge: nesting bombs on both transports and in REST bodies, odd frames,
// strict query strings, and the group size bound. The node must answer, never fall over.
import type { RunningNode } from '../../src/node';
import {
  connectClient,
  rawClient,
  type RealtimeClient,
  type Transport,
} from '../support/realtime-client';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

const base = '/api/v1/messages';
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** The frame that used to kill the process: 5000 levels of arrays inside a ping. */
const bomb = `{"type":"ping","x":${nested(5000)}}`;

/** Sends an already encoded Socket.IO event packet, bypassing the client's own encoder. */
function sendSocketIoPacket(client: RealtimeClient, packet: string): void {
  (
    client as unknown as { socket: { io: { engine: { send(p: string): void } } } }
  ).socket.io.engine.send(packet);
}

describe('edge hardening', () => {
  let node: RunningNode;
  let api: Api;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  const clients: RealtimeClient[] = [];

  const connect = async (user: TestUser, transport: Transport): Promise<RealtimeClient> => {
    const c = await connectClient(node.url, user.token, transport);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await startTestNode({ MAX_GROUP_SIZE: '3' });
    api = new Api(node.url);
    [alice, bob, carol, dave] = await Promise.all([
      registerUser(api, 'alice'),
      registerUser(api, 'bob'),
      registerUser(api, 'carol'),
      registerUser(api, 'dave'),
    ]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => node.close());

  describe('JSON nesting', () => {
    it('answers a raw nesting bomb with VALIDATION and keeps the socket', async () => {
      const c = rawClient(await connect(alice, 'raw'));
      c.sendRaw(bomb);
      const error = await c.waitFor('ERROR');
      expect(error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('32') });
      // Just over the bound is refused too; just under passes validation of depth.
      c.sendRaw(`{"type":"ping","x":${nested(32)}}`);
      await c.waitFor('ERROR', (f) => f !== error);
      expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
      c.sendRaw(Buffer.from(bomb));
      await c.waitFor('ERROR', (f) => c.all('ERROR').indexOf(f) === 2);
      expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
    });

    it('lets a frame nested up to the bound through', async () => {
      const c = rawClient(await connect(alice, 'raw'));
      c.sendRaw(`{"type":"ping","x":${nested(31)}}`);
      // ping ignores unknown fields only if depth passed: the answer is pong, not ERROR.
      expect(await c.waitFor('pong')).toEqual({ type: 'pong' });
      expect(c.all('ERROR')).toEqual([]);
    });

    it('answers a Socket.IO nesting bomb with VALIDATION and keeps the socket', async () => {
      const c = await connect(alice, 'socket.io');
      sendSocketIoPacket(c, `2["ping",{"x":${nested(5000)}}]`);
      expect(await c.waitFor('ERROR')).toMatchObject({ code: 'VALIDATION' });
      sendSocketIoPacket(c, `2["SEND_MESSAGE",{"conversationId":${nested(40)}},${nested(3)}]`);
      await c.waitFor('ERROR', (f) => c.all('ERROR').indexOf(f) === 1);
      expect(c.all('ERROR').map((f) => f.code)).toEqual(['VALIDATION', 'VALIDATION']);
      expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
    });

    it('answers a REST nesting bomb with 400 VALIDATION, authenticated or not', async () => {
      const deep = `{"type":"GROUP","name":"x","participant_ids":${nested(5000)}}`;
      const created = await alice.api.request('POST', `${base}/conversations`, deep, {
        'content-type': 'application/json',
      });
      expect(created.status).toBe(400);
      expect(created.body).toEqual({
        success: false,
        detail: expect.stringContaining('32'),
        code: 'VALIDATION',
      });
      const login = await api.request('POST', '/api/v1/auth/login', `{"username":${nested(33)}}`);
      expect(login.status).toBe(400);
      expect(login.body).toMatchObject({ success: false, code: 'VALIDATION' });
      // Brackets inside strings are text, not nesting.
      const text = await api.post('/api/v1/auth/login', {
        username: '['.repeat(100),
        password: '{'.repeat(100),
      });
      expect(text.status).toBe(401);
    });
  });

  describe.each<Transport>(['raw', 'socket.io'])('odd frames over %s', (transport) => {
    it.each([
      ['__proto__ keys', '{"type":"ping","__proto__":{"polluted":true},"constructor":{}}'],
      ['a lone surrogate', '{"type":"ping","x":"\\ud800"}'],
      ['huge numbers', '{"type":"ping","x":1e400,"y":-1e400}'],
      [
        'a wide object',
        `{"type":"ping",${Array.from({ length: 2000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
      ],
    ])('survives %s', async (label, text) => {
      const c = await connect(bob, transport);
      const before = c.frames.length;
      if (transport === 'raw') rawClient(c).sendRaw(text);
      else sendSocketIoPacket(c, `2["ping",${JSON.stringify(JSON.parse(text))}]`);
      const answer = await c.waitFor(['pong', 'ERROR'], (f) => c.frames.indexOf(f) >= before);
      // A raw number JSON cannot hold (1e400 → Infinity) is refused, never stored as null; over
      // Socket.IO the client's own JSON encoding has already turned it into null.
      if (label === 'huge numbers' && transport === 'raw') {
        expect(answer).toMatchObject({ type: 'ERROR', code: 'VALIDATION' });
      } else {
        expect(answer).toEqual({ type: 'pong' });
      }
      expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('strict query strings', () => {
    let dm: string;
    beforeAll(async () => {
      dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
    });

    it('refuses a bracketed seen filter with 400 and changes nothing', async () => {
      const sent = await bob.api.post(`${base}/conversations/${dm}/messages`, { content: 'hi' });
      expect(sent.status).toBe(201);
      const unreadBefore = (await alice.api.get(`${base}/conversations/${dm}`)).body.data
        .unread_count as number;
      expect(unreadBefore).toBeGreaterThan(0);
      for (const query of ['message_id[$ne]=x', 'message_id%5B%24ne%5D=x', 'message_id[]=x']) {
        const res = await alice.api.patch(`${base}/conversations/${dm}/seen?${query}`);
        expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION']);
      }
      const after = (await alice.api.get(`${base}/conversations/${dm}`)).body.data;
      expect(after.unread_count).toBe(unreadBefore);
    });

    it.each([
      ['an unknown key', `/conversations?foo=1`],
      ['a repeated key', `/conversations?limit=5&limit=6`],
      ['a key on a route that takes none', `/direct/{bob}?x=1`],
      ['an empty search', `/search/users?q=`],
      ['a blank search', `/search/users?q=%20%20`],
      ['a missing search term', `/search/users?limit=3`],
    ])('answers %s with 400', async (_label, path) => {
      const res = await alice.api.request(
        path.startsWith('/direct') ? 'POST' : 'GET',
        base + path.replace('{bob}', bob.id),
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
    });

    it('still takes the query parameters routes define', async () => {
      expect((await alice.api.get(`${base}/conversations?limit=5`)).status).toBe(200);
      const found = await alice.api.get(`${base}/search/users?q=${carol.username}&limit=3`);
      expect(found.body.data).toEqual([expect.objectContaining({ id: carol.id })]);
    });
  });

  describe('group size (MAX_GROUP_SIZE=3)', () => {
    it('refuses to create a group over the bound', async () => {
      const res = await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'too big',
        participant_ids: [bob.id, carol.id, dave.id],
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION' });
    });

    it('counts current participants when adding, and ignores those already in', async () => {
      const group = await alice.api.post(`${base}/conversations`, {
        type: 'GROUP',
        name: 'at the bound',
        participant_ids: [bob.id, carol.id, alice.id],
      });
      expect(group.status).toBe(201);
      const id = group.body.data.id as string;
      const over = await alice.api.post(`${base}/conversations/${id}/participants`, {
        user_ids: [dave.id],
      });
      expect(over.status).toBe(400);
      expect(over.body.code).toBe('VALIDATION');
      const again = await alice.api.post(`${base}/conversations/${id}/participants`, {
        user_ids: [bob.id],
      });
      expect(again.status).toBe(200);
      // Someone leaving frees a place.
      expect(
        (await carol.api.delete(`${base}/conversations/${id}/participants/${carol.id}`)).status,
      ).toBe(200);
      const added = await alice.api.post(
        `${base}/conversations/${id}/participants?user_ids=${dave.id}`,
      );
      expect(added.status).toBe(200);
      expect(added.body.data.participants).toContainEqual(
        expect.objectContaining({ user_id: dave.id }),
      );
    });
  });
});
