// Graceful drain (docs/PROTOCOL.md §6.6): three nodes behind nginx (started as `npm run cluster`
// does) under a steady send load; one of them gets SIGTERM. Every client it held is told to move
// (raw: RECONNECT then close 1012; Socket.IO: RECONNECT then a transport close), comes back
// through nginx on another node and catches up with SYNC; no acknowledged message is lost, and
// the node exits 0 within DRAIN_TIMEOUT_MS.
import { request } from 'node:http';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../../scripts/cluster';
import { newObjectId } from '../../src/domain/ids';
import { connectClient, rawClient, type Frame } from '../support/realtime-client';
import {
  RawSession,
  SocketIoSession,
  type ReconnectingSession,
} from '../support/reconnecting-clients';
import { clusterEnv, type ModeSetup } from '../support/realtime-modes';
import {
  Api,
  registerUser,
  startTestNode,
  TEST_JWT_SECRET,
  type TestUser,
} from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const DRAIN_TIMEOUT_MS = 8000;
const base = '/api/v1/messages';

/** GET through nginx from a chosen loopback address (its Socket.IO upstream hashes on it). */
function getFrom(localAddress: string, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One sender: sends in a loop, each message resent with its tempId until acknowledged. */
class Sender {
  readonly acked: Frame[] = [];
  private running = true;
  readonly done: Promise<void>;

  constructor(
    readonly session: ReconnectingSession,
    readonly conversationId: string,
  ) {
    this.done = this.loop();
  }

  stop(): Promise<void> {
    this.running = false;
    return this.done;
  }

  private async loop(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const tempId = `t-${newObjectId()}`;
      this.acked.push(await this.session.sendUntilAcked(this.conversationId, `m${i}`, tempId));
    }
  }
}

describe('draining a node under load (SIGTERM, three nodes behind nginx)', () => {
  let setup: ModeSetup;
  let cluster: Cluster;
  const logs: string[] = [];
  const sessions: ReconnectingSession[] = [];
  let users: TestUser[];

  beforeAll(async () => {
    setup = await clusterEnv();
    cluster = await startCluster({
      nodes: 3,
      port: 0,
      env: {
        PATH: process.env.PATH,
        ...setup.env,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'info',
        DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
        // The load, not the budgets, is under test.
        RATE_LIMIT_MESSAGES_PER_SECOND: '2000',
        RATE_LIMIT_MESSAGES_BURST: '2000',
      },
      onLog: (id, line) => logs.push(`[${id}] ${line}`),
    });
    const api = new Api(cluster.nodes[0]!.url);
    users = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => registerUser(api, n)),
    );
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await cluster?.stop();
    await setup?.teardown();
  });

  /** An address nginx's Socket.IO upstream sends to node `wanted` (found by opening sessions). */
  const addressFor = async (wanted: number): Promise<string> => {
    for (let i = 2; i < 64; i++) {
      const address = `127.0.0.${i}`;
      const open = await getFrom(address, `${cluster.url}/socket.io/?EIO=4&transport=polling`);
      const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
      const probe = await fetch(
        `${cluster.nodes[wanted]!.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`,
        { method: 'POST', body: '1' },
      );
      if (probe.status === 200) return address;
    }
    throw new Error(`no address in 127.0.0.2-63 reaches node ${wanted + 1} through nginx`);
  };

  const connectionsOn = async (node: number): Promise<number> => {
    const res = await fetch(`${cluster.nodes[node]!.url}/api/v1/ws/health`);
    return ((await res.json()) as { active_connections: number }).active_connections;
  };

  it('moves every client elsewhere, loses no acknowledged message, and exits 0 in time', async () => {
    try {
      const [alice, bob, carol, dave, erin] = users as [
        TestUser,
        TestUser,
        TestUser,
        TestUser,
        TestUser,
      ];
      const group = (
        await alice.api.post(`${base}/conversations`, {
          type: 'GROUP',
          name: 'drain',
          participant_ids: [bob.id, carol.id, dave.id, erin.id],
        })
      ).body.data.id as string;
      const dm = (await bob.api.post(`${base}/direct/${alice.id}`)).body.data.id as string;

      // On the node to drain (C): alice and carol raw (connected to C itself, reconnecting
      // through nginx), bob (WebSocket) and dave (long-polling) through nginx from an address
      // that hashes to C. erin stays on node A throughout.
      const drained = 2;
      const nodeC = cluster.nodes[drained]!;
      const fromC = await addressFor(drained);
      const raw = async (u: TestUser, first: string) => {
        const s = new RawSession(cluster.url, u.token);
        sessions.push(s);
        await s.connect(first);
        return s;
      };
      const sio = async (u: TestUser, transports: ('polling' | 'websocket')[]) => {
        const s = new SocketIoSession(cluster.url, u.token, { localAddress: fromC, transports });
        sessions.push(s);
        await s.ready();
        return s;
      };
      const a = await raw(alice, nodeC.url);
      const c = await raw(carol, nodeC.url);
      const b = await sio(bob, ['websocket']);
      const d = await sio(dave, ['polling']);
      const e = await raw(erin, cluster.nodes[0]!.url);
      await waitFor(async () => (await connectionsOn(drained)) === 4, {
        what: 'four clients on node C',
      });
      const onC = [a, b, c, d];

      const senders = [new Sender(a, group), new Sender(b, dm)];
      await waitFor(() => senders.every((s) => s.acked.length >= 20), {
        what: 'the load to be under way',
        timeoutMs: 15_000,
      });

      const termAt = Date.now();
      nodeC.child.kill('SIGTERM');
      const code = await nodeC.exited;
      const drainMs = Date.now() - termAt;
      expect(code).toBe(0);
      expect(drainMs).toBeLessThan(DRAIN_TIMEOUT_MS);

      // Every client of C is back (on A or B: C is gone), and the load goes on there.
      await waitFor(() => onC.every((s) => s.connections >= 2), {
        what: 'every client of node C to reconnect',
        timeoutMs: 20_000,
      });
      const resumed = senders.map((s) => s.acked.length);
      await waitFor(() => senders.every((s, i) => s.acked.length >= (resumed[i] ?? 0) + 20), {
        what: 'the load to go on after the drain',
        timeoutMs: 15_000,
      });
      await Promise.all(senders.map((s) => s.stop()));

      // Told to move, then closed the way each transport reconnects from.
      for (const s of onC) expect(s.frames.filter((f) => f.type === 'RECONNECT')).toHaveLength(1);
      expect([a.endings[0], c.endings[0]]).toEqual([1012, 1012]);
      expect([b.endings[0], d.endings[0]]).toEqual(['transport close', 'transport close']);
      // nginx sent every new handshake past the draining node: no client saw one fail.
      expect(onC.map((s) => s.failedHandshakes)).toEqual([0, 0, 0, 0]);

      // 0 acknowledged messages lost: each recipient holds every one (live, or by SYNC), at
      // the seq its ACK gave. Each tempId was acknowledged with one message.
      const [groupAcks, dmAcks] = senders.map((s) => s.acked) as [Frame[], Frame[]];
      expect(new Set(groupAcks.map((f) => f.messageId)).size).toBe(groupAcks.length);
      const recipients: [ReconnectingSession, string, Frame[]][] = [
        [b, group, groupAcks],
        [c, group, groupAcks],
        [d, group, groupAcks],
        [e, group, groupAcks],
        [a, dm, dmAcks],
      ];
      for (const [session, conversationId, acks] of recipients) {
        const held = new Map<string, number>();
        for (const f of [
          ...session.live(conversationId),
          ...(await session.catchUp(conversationId)),
        ]) {
          held.set(f.messageId as string, f.seq as number);
        }
        const missing = acks.filter((ack) => held.get(ack.messageId as string) !== ack.seq);
        expect(missing).toEqual([]);
      }
    } catch (err) {
      if (err instanceof Error)
        err.message += `\n--- cluster logs ---\n${logs.slice(-80).join('\n')}`;
      throw err;
    }
  });
});

describe('a draining node, held open by a request in flight (in-process)', () => {
  it('answers 503 + Retry-After to new requests and handshakes, UNAVAILABLE to new commands, and waits for the request', async () => {
    const node = await startTestNode({ DRAIN_TIMEOUT_MS: '10000' });
    const port = new URL(node.url).port;
    const alice = await registerUser(new Api(node.url), 'alice');
    const bob = await registerUser(new Api(node.url), 'bob');
    const dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id as string;
    const client = rawClient(await connectClient(node.url, alice.token, 'raw'));

    // A POST whose body is half sent: in flight until the rest comes.
    const body = JSON.stringify({ content: 'sent while draining' });
    let status = 0;
    const slow = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `${base}/conversations/${dm}/messages`,
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    const answered = new Promise<void>((resolve, reject) => {
      slow.on('response', (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        res.on('end', resolve);
      });
      slow.on('error', reject);
    });
    // Once these bytes are in the node's socket (same process), a round trip on another
    // connection lets the node read them: the request is then in flight there.
    await new Promise<void>((resolve, reject) => {
      slow.write(body.slice(0, 5), (err) => (err ? reject(err) : resolve()));
    });
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);

    let closed = false;
    const closing = node.close().then(() => {
      closed = true;
    });
    const reconnect = await client.waitFor('RECONNECT');
    expect(reconnect.retryAfterMs).toBeGreaterThanOrEqual(100);
    expect(reconnect.retryAfterMs).toBeLessThanOrEqual(2100);

    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { accepting: false } });
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    const refused = await fetch(`${node.url}${base}/conversations`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ success: false, code: 'UNAVAILABLE' });
    const handshake = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${node.url.replace('http', 'ws')}/api/v1/ws?token=${alice.token}`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
    expect(handshake).toBe(503);

    // The connected client may still talk: new commands are refused retryably, ping answers.
    const tempId = `t-${newObjectId()}`;
    const reply = await client.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'too late',
      tempId,
    });
    expect(reply).toMatchObject({ type: 'ERROR', code: 'UNAVAILABLE', tempId, retryAfterMs: 1000 });
    expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(closed).toBe(false);

    // The request in flight finishes and is answered; then the client goes (1012), the node closes.
    slow.end(body.slice(5));
    await answered;
    expect(status).toBe(201);
    expect(await client.waitClosed()).toBe(1012);
    await closing;
  });
});
