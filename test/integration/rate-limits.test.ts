// Rate limits as clients meet them: 429 with Retry-After and RateLimit-* headers over REST,
// RATE_LIMITED frames with retryAfterMs, and per-user budgets shared by every node of a cluster.
import { randomBytes } from 'node:crypto';
import type { RunningNode } from '../../src/node';
import { testMongoUrl } from '../support/mongo-url';
import { connectClient, type RealtimeClient, type Transport } from '../support/realtime-client';
import { testRedisUrl } from '../support/redis-db';
import {
  Api,
  registerUser,
  startTestNode,
  type ApiResponse,
  type TestUser,
} from '../support/test-node';

const base = '/api/v1/messages';

/** fetch, keeping the headers the Api helper drops. */
async function raw(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res;
}

function expect429(res: Response, limit: number): void {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
}

describe('rate limits on one node', () => {
  let node: RunningNode;
  let alice: TestUser;
  let bob: TestUser;
  let dm: string;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    node = await startTestNode({
      RATE_LIMIT_WRITES_PER_SECOND: '1',
      RATE_LIMIT_WRITES_BURST: '4',
      RATE_LIMIT_TYPING_PER_SECOND: '1',
      RATE_LIMIT_TYPING_BURST: '2',
    });
    const api = new Api(node.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
    // Bob's DM creation spends one of bob's writes, none of alice's.
    dm = (await bob.api.post(`${base}/direct/${alice.id}`)).body.data.id;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => node.close());

  it('answers a user over the write budget with 429 and the RateLimit headers', async () => {
    const post = (): Promise<Response> =>
      raw(`${node.url}${base}/direct/${bob.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post()).status);
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    const refused = await post();
    expect429(refused, 4);
    // Reads are not writes, and another user has a budget of their own.
    expect((await alice.api.get(`${base}/conversations`)).status).toBe(200);
    expect((await bob.api.post(`${base}/direct/${alice.id}`)).status).toBe(200);
  });

  it.each<Transport>(['raw', 'socket.io'])(
    'answers TYPING over the budget with RATE_LIMITED and retryAfterMs (%s)',
    async (transport) => {
      const c = await connectClient(node.url, bob.token, transport);
      clients.push(c);
      for (let i = 0; i < 3; i++) c.send({ type: 'TYPING', conversationId: dm });
      const error = await c.waitFor('ERROR');
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
      expect(error.retryAfterMs).toBeGreaterThan(0);
    },
  );
});

describe('per-IP limit', () => {
  let node: RunningNode;
  beforeAll(async () => {
    node = await startTestNode({ RATE_LIMIT_IP_PER_SECOND: '1', RATE_LIMIT_IP_BURST: '5' });
  });
  afterAll(() => node.close());

  it('answers an IP over its budget with 429 before any work, health excepted', async () => {
    const login = (): Promise<Response> =>
      raw(`${node.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody', password: 'wrong password' }),
      });
    for (let i = 0; i < 5; i++) expect((await login()).status).toBe(401);
    expect429(await login(), 5);
    expect((await raw(`${node.url}/healthz`)).status).toBe(200);
  });
});

describe('rate limits across a cluster sharing one Redis', () => {
  const nodes: RunningNode[] = [];
  let alice: TestUser;
  let bob: TestUser;
  let dm: string;
  let client: RealtimeClient | null = null;

  beforeAll(async () => {
    const shared = {
      MONGODB_URL: testMongoUrl('rate_limits'),
      REDIS_URL: testRedisUrl(),
      RATE_LIMIT_MESSAGES_PER_SECOND: '1',
      RATE_LIMIT_MESSAGES_BURST: '4',
    };
    const prefix = `parley_test_${randomBytes(4).toString('hex')}`;
    const other = `parley_test_${randomBytes(4).toString('hex')}`;
    for (const p of [prefix, prefix, other]) {
      nodes.push(await startTestNode({ ...shared, REDIS_CHANNEL_PREFIX: p }));
    }
    const api = new Api(nodes[0]!.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
    dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
  });
  afterAll(async () => {
    await client?.close();
    for (const n of nodes.splice(0)) await n.close();
  });

  const sendOn = (node: RunningNode, content: string): Promise<ApiResponse> =>
    new Api(node.url, alice.token).post(`${base}/conversations/${dm}/messages`, { content });

  it('spends one budget per user whichever node a send reaches', async () => {
    const [a, b, isolated] = nodes as [RunningNode, RunningNode, RunningNode];
    const statuses = [];
    for (const [node, i] of [
      [a, 1],
      [b, 2],
      [a, 3],
      [b, 4],
    ] as const) {
      statuses.push((await sendOn(node, `m${i}`)).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201]);
    const refused = await sendOn(b, 'm5');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });

    // Over a socket on the other node the same budget is spent: RATE_LIMITED with retryAfterMs.
    client = await connectClient(a.url, alice.token, 'raw');
    const reply = await client.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'm6',
      tempId: 't6',
    });
    expect(reply).toMatchObject({ type: 'ERROR', code: 'RATE_LIMITED', tempId: 't6' });
    expect(reply.retryAfterMs).toBeGreaterThan(0);

    // A cluster with another key prefix on the same Redis has budgets of its own.
    expect((await sendOn(isolated, 'elsewhere')).status).toBe(201);
  });
});
