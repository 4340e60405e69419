// Three server processes behind nginx, started the way `npm run cluster` starts them: REST, a
// raw WebSocket and Socket.IO clients (WebSocket; long-polling that upgrades; long-polling only)
// land on different nodes through the one nginx port and exchange messages, receipts and typing.
// Also: nginx -t accepts both configurations nginx/ yields, per-IP budgets see each client's own
// address through nginx, and /metrics is not served through the proxy.
import { request } from 'node:http';
import { checkNginxConfigs, startCluster, type Cluster } from '../../scripts/cluster';
import { newObjectId } from '../../src/domain/ids';
import { connectClient, type RealtimeClient } from '../support/realtime-client';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import { Api, registerUser, TEST_JWT_SECRET, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

/** A plain HTTP request through nginx from a chosen loopback address (fetch cannot pick one). */
function httpFrom(
  localAddress: string,
  url: string,
  method = 'GET',
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a cluster behind nginx (npm run cluster)', () => {
  let setup: ModeSetup;
  let cluster: Cluster;
  const logs: string[] = [];
  const clients: RealtimeClient[] = [];
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;

  beforeAll(async () => {
    setup = await clusterEnv();
    cluster = await startCluster({
      nodes: 3,
      port: 0,
      env: {
        PATH: process.env.PATH,
        ...setup.env,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
        // One point a second, 60 at once: the per-IP test below spends one address's budget.
        RATE_LIMIT_IP_PER_SECOND: '1',
        RATE_LIMIT_IP_BURST: '60',
      },
      onLog: (id, line) => logs.push(`[${id}] ${line}`),
    });
    const api = new Api(cluster.url);
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
  afterAll(async () => {
    await cluster?.stop();
    await setup?.teardown();
  });

  /** Runs a test body; a failure also shows what the nodes and nginx logged (warnings and up). */
  const withLogs = async (body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- cluster logs ---\n${logs.join('\n')}`;
      throw err;
    }
  };

  /** Each node's open sockets, read from the node itself (not through nginx). */
  const socketsPerNode = async (): Promise<number[]> =>
    Promise.all(
      cluster.nodes.map(async (n) => {
        const res = await fetch(`${n.url}/api/v1/ws/health`);
        return ((await res.json()) as { active_connections: number }).active_connections;
      }),
    );

  /**
   * The node nginx's Socket.IO upstream sends an address to: open an Engine.IO session from it
   * through nginx, then close it on the node that knows its id (the others answer 400).
   */
  const nodeForAddress = async (address: string): Promise<number> => {
    const open = await httpFrom(address, `${cluster.url}/socket.io/?EIO=4&transport=polling`);
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    const answers = await Promise.all(
      cluster.nodes.map(
        async (n) =>
          (
            await fetch(`${n.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
              method: 'POST',
              body: '1',
            })
          ).status,
      ),
    );
    const holder = answers.indexOf(200);
    if (holder < 0 || answers.filter((s) => s === 200).length !== 1) {
      throw new Error(`session ${sid} from ${address}: nodes answered ${answers.join(', ')}`);
    }
    return holder;
  };

  /** The first loopback address (from 127.0.0.2 on) that lands on each wanted node, in order. */
  const addressesFor = async (wanted: number[]): Promise<string[]> => {
    const found = new Map<number, string>();
    for (let i = 2; i < 64 && wanted.some((n) => !found.has(n)); i++) {
      const address = `127.0.0.${i}`;
      const node = await nodeForAddress(address);
      if (!found.has(node)) found.set(node, address);
    }
    return wanted.map((n) => {
      const address = found.get(n);
      if (!address) throw new Error(`no address among 127.0.0.2-63 hashes to node ${n + 1}`);
      return address;
    });
  };

  it('nginx -t accepts the cluster and the compose configurations', () => {
    expect(() => checkNginxConfigs(3)).not.toThrow();
  });

  it('REST, raw WebSocket and Socket.IO clients on three nodes exchange messages, receipts and typing', () =>
    withLogs(async () => {
      const base = '/api/v1/messages';
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'behind nginx',
          participant_ids: [bob.id, carol.id, dave.id],
        })
      ).body.data.id as string;

      // alice: raw WebSocket (nginx's plain upstream); find the node it reached.
      const before = await socketsPerNode();
      const a = await connectClient(cluster.url, alice.token, 'raw');
      clients.push(a);
      const aliceNode = (
        await waitFor(
          async () => {
            const now = await socketsPerNode();
            const grown = now.findIndex((c, i) => c > (before[i] ?? 0));
            return grown >= 0 ? { node: grown } : null;
          },
          { what: "alice's socket to show up on a node" },
        )
      ).node;
      const [bobNode, carolNode] = [0, 1, 2].filter((n) => n !== aliceNode) as [number, number];
      const [bobFrom, carolFrom] = await addressesFor([bobNode, carolNode]);

      // bob: Socket.IO over WebSocket; carol: long-polling first, then the upgrade (both requests
      // must reach her node: the sticky upstream); dave: long-polling only, from carol's address.
      const b = await connectClient(cluster.url, bob.token, 'socket.io', { localAddress: bobFrom });
      clients.push(b);
      const c = await connectClient(cluster.url, carol.token, 'socket.io', {
        localAddress: carolFrom,
        transports: ['polling', 'websocket'],
        ackNewMessages: true,
      });
      clients.push(c);
      const d = await connectClient(cluster.url, dave.token, 'socket.io', {
        localAddress: carolFrom,
        transports: ['polling'],
      });
      clients.push(d);
      const engine = (client: RealtimeClient) =>
        (client as unknown as { socket: { io: { engine: { transport: { name: string } } } } })
          .socket.io.engine;
      await waitFor(() => engine(c).transport.name === 'websocket', {
        what: "carol's upgrade from polling to websocket",
      });
      expect(engine(d).transport.name).toBe('polling');
      const expected = [0, 0, 0];
      expected[aliceNode] = 1;
      expected[bobNode] = 1;
      expected[carolNode] = 2;
      await waitFor(async () => (await socketsPerNode()).join() === expected.join(), {
        what: `sockets per node to be ${expected.join()}`,
      });

      // raw → every other participant, on every node; MESSAGE_ACK once, to alice only.
      const tempId = `t-${newObjectId()}`;
      a.send({ type: 'SEND_MESSAGE', conversationId: group, content: 'from raw', tempId });
      const ack = await a.waitFor('MESSAGE_ACK', (f) => f.tempId === tempId);
      for (const other of [b, c, d]) {
        expect(
          await other.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId, 10_000),
        ).toMatchObject({ conversationId: group, senderId: alice.id, content: 'from raw' });
      }

      // Socket.IO (acknowledged send) and REST → the others.
      const fromSio = await b.request({
        type: 'SEND_MESSAGE',
        conversationId: group,
        content: 'from socket.io',
        tempId: `t-${newObjectId()}`,
      });
      expect(fromSio).toMatchObject({ type: 'MESSAGE_ACK', status: 'SENT' });
      const fromRest = await dave.api.post(`${base}/conversations/${group}/messages`, {
        content: 'from rest',
      });
      expect(fromRest.status).toBe(201);
      for (const [client, id] of [
        [a, fromSio.messageId],
        [c, fromSio.messageId],
        [d, fromSio.messageId],
        [a, fromRest.body.data.id],
        [b, fromRest.body.data.id],
        [c, fromRest.body.data.id],
      ] as const) {
        await client.waitFor('NEW_MESSAGE', (f) => f.messageId === id, 10_000);
      }

      // Receipts for alice's message: carol's device acknowledged it (Socket.IO ack), bob and
      // dave confirm by frame; then each one sees it, dave over REST.
      b.send({ type: 'MARK_DELIVERED', conversationId: group, messageId: ack.messageId });
      d.send({ type: 'MARK_DELIVERED', conversationId: group, messageId: ack.messageId });
      await a.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'DELIVERED',
        10_000,
      );
      b.send({ type: 'MARK_SEEN', conversationId: group, messageId: ack.messageId });
      c.send({ type: 'MARK_SEEN', conversationId: group, messageId: ack.messageId });
      const seen = await dave.api.patch(
        `${base}/conversations/${group}/seen?message_id=${ack.messageId}`,
      );
      expect(seen.status).toBe(200);
      for (const reader of [bob, carol, dave]) {
        await a.waitFor('MESSAGE_SEEN', (f) => f.userId === reader.id, 10_000);
      }
      await a.waitFor(
        'MESSAGE_STATUS',
        (f) => f.messageId === ack.messageId && f.status === 'SEEN',
        10_000,
      );

      // Typing from the polling-only client reaches the WebSocket and raw ones.
      d.send({ type: 'TYPING', conversationId: group });
      for (const other of [a, b, c]) {
        expect(await other.waitFor('TYPING', (f) => f.userId === dave.id, 10_000)).toMatchObject({
          conversationId: group,
          username: dave.username,
        });
      }
      await a.request({ type: 'ping' });
      expect(a.all('MESSAGE_ACK', (f) => f.tempId === tempId)).toHaveLength(1);
    }));

  it("spends each client address's own REST budget (nginx's X-Forwarded-For is trusted)", () =>
    withLogs(async () => {
      const url = `${cluster.url}/api/v1/messages/conversations`;
      const statuses: number[] = [];
      for (let i = 0; i < 61; i++) statuses.push((await httpFrom('127.0.0.70', url)).status);
      // Unauthenticated: 401 while the budget lasts, then 429.
      expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
      expect(statuses[60]).toBe(429);
      // Another address, and the address every other test request comes from, still have theirs.
      expect((await httpFrom('127.0.0.71', url)).status).toBe(401);
      expect((await alice.api.get('/api/v1/messages/conversations')).status).toBe(200);
    }));

  it('keeps /metrics off the proxy; each node serves its own', async () => {
    expect((await fetch(`${cluster.url}/metrics`)).status).toBe(404);
    const text = await (await fetch(`${cluster.nodes[0]!.url}/metrics`)).text();
    expect(text).toMatch(/^parley_messages_received_total\{node="parley-1"\} \d+$/m);
  });
});
