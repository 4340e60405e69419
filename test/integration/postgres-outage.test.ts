// PostgreSQL going away under traffic (docs/PROTOCOL.md §3.3, §3.4): three senders keep sending
// while the database first disappears (a proxy in front of it stops: connections refused, open
// ones reset), then comes back, then has every connection of its database terminated by the
// server (pg_terminate_backend, as a restart or failover does). Every send is answered MESSAGE_ACK
// or UNAVAILABLE with a retry hint — never INTERNAL, never silence; /readyz is 503 while the
// database is gone and 200 again without restarting the node; every acknowledged message is
// stored once, in seq order, and delivered; each refused send succeeds when retried.
import { Client } from 'pg';
import type { RunningNode } from '../../src/node';
import { createTestDatabase, type TestDatabase } from '../support/postgres-db';
import { connectClient, type Frame, type RealtimeClient } from '../support/realtime-client';
import { TcpProxy } from '../support/tcp-proxy';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

interface Outcome {
  sender: string;
  tempId: string;
  content: string;
  reply: Frame;
  /** Which phase the send started in. */
  phase: string;
}

/** One in flight per sender, until stopped; waiters are told on every outcome (no polling). */
class Traffic {
  readonly outcomes: Outcome[] = [];
  phase = 'up';
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly waiters: { done: () => boolean; resolve: () => void }[] = [];

  start(name: string, client: RealtimeClient, conversationId: string): void {
    this.loops.push(
      (async () => {
        for (let i = 0; this.running; i++) {
          const tempId = `${name}-${i}`;
          const content = `${name} message ${i}`;
          const phase = this.phase;
          const reply = await client
            .request({ type: 'SEND_MESSAGE', conversationId, content, tempId }, [
              'MESSAGE_ACK',
              'ERROR',
            ])
            .catch((err: unknown) => ({ type: 'NO_REPLY', error: String(err) }));
          this.outcomes.push({ sender: name, tempId, content, reply, phase });
          for (const w of [...this.waiters]) {
            if (w.done()) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve();
            }
          }
        }
      })(),
    );
  }

  /** Resolves once `done()` holds, checked after every outcome. */
  until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(phase: string, ok: boolean, sender?: string): number {
    return this.outcomes.filter(
      (o) =>
        o.phase === phase &&
        (sender === undefined || o.sender === sender) &&
        (o.reply.type === 'MESSAGE_ACK') === ok,
    ).length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

let database: TestDatabase;
let proxy: TcpProxy;
let node: RunningNode;
let api: Api;
let alice: TestUser;
let bob: TestUser;
let dm: string;
const clients: RealtimeClient[] = [];
const senders = ['alice-raw', 'alice-io', 'bob-raw'];

beforeAll(async () => {
  database = await createTestDatabase('outage');
  proxy = new TcpProxy(Number(new URL(database.url).port || 5432));
  await proxy.start();
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  node = await startTestNode({
    DATABASE_URL: viaProxy.toString(),
    DATABASE_STATEMENT_TIMEOUT_MS: '3000',
    // Messages stored whose publish was cut off by the outage go out soon after it.
    OUTBOX_RELAY_INTERVAL_MS: '1000',
    RATE_LIMIT_MESSAGES_PER_SECOND: '10000',
    RATE_LIMIT_MESSAGES_BURST: '10000',
    RATE_LIMIT_FRAMES_PER_SECOND: '10000',
    RATE_LIMIT_FRAMES_BURST: '10000',
  });
  api = new Api(node.url);
  [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.close();
  await proxy?.stop();
  await database?.drop();
});

it('answers every send ACK or UNAVAILABLE through an outage and a mass disconnect, and loses no acknowledged message', async () => {
  const [aliceRaw, aliceIo, bobRaw, watcher] = await Promise.all([
    connectClient(node.url, alice.token, 'raw'),
    connectClient(node.url, alice.token, 'socket.io'),
    connectClient(node.url, bob.token, 'raw'),
    // A second device of bob's that only listens: every acknowledged message must reach it.
    connectClient(node.url, bob.token, 'raw'),
  ]);
  clients.push(aliceRaw, aliceIo, bobRaw, watcher);
  const traffic = new Traffic();
  traffic.start('alice-raw', aliceRaw, dm);
  traffic.start('alice-io', aliceIo, dm);
  traffic.start('bob-raw', bobRaw, dm);
  const each = (phase: string, acks: number) => () =>
    senders.every((s) => traffic.count(phase, true, s) >= acks);

  await traffic.until(each('up', 5), 'five acknowledged sends per sender');

  // The database disappears.
  await proxy.stop();
  traffic.phase = 'down';
  await traffic.until(() => traffic.count('down', false) >= 6, 'sends refused during the outage');
  const [readyz, rest] = await Promise.all([
    api.get('/readyz'),
    fetch(`${node.url}/api/v1/messages/conversations`, {
      headers: { authorization: `Bearer ${alice.token}` },
    }),
  ]);
  expect(readyz.status).toBe(503);
  expect(readyz.body).toMatchObject({ checks: { store: false } });
  expect(rest.status).toBe(503);
  expect(Number(rest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(await rest.json()).toMatchObject({ code: 'UNAVAILABLE' });

  // It comes back on the same address: the node recovers by itself.
  traffic.phase = 'back';
  await proxy.start();
  await waitFor(async () => (await api.get('/readyz')).status === 200, {
    what: '/readyz to answer 200 again',
    timeoutMs: 20_000,
    intervalMs: 100,
  });
  await traffic.until(each('back', 5), 'five acknowledged sends per sender after the outage');

  // The server ends every connection of the database at once, in the middle of the traffic.
  traffic.phase = 'terminated';
  const admin = new Client({ connectionString: database.url });
  await admin.connect();
  try {
    const ended = await admin.query<{ n: string }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    expect(Number(ended.rows[0]?.n)).toBeGreaterThan(0);
  } finally {
    await admin.end();
  }
  await traffic.until(
    each('terminated', 5),
    'five acknowledged sends per sender after the disconnect',
  );
  await traffic.stop();

  // Every answer was an ACK for its tempId or a retryable UNAVAILABLE for it.
  const answers = traffic.outcomes.map(({ tempId, reply }) => ({
    tempId,
    type: reply.type,
    replyTempId: reply.tempId,
    ...(reply.type === 'ERROR' && {
      code: reply.code,
      retryable: typeof reply.retryAfterMs === 'number' && reply.retryAfterMs > 0,
    }),
  }));
  expect(answers).toEqual(
    traffic.outcomes.map(({ tempId, reply }) =>
      reply.type === 'MESSAGE_ACK'
        ? { tempId, type: 'MESSAGE_ACK', replyTempId: tempId }
        : { tempId, type: 'ERROR', replyTempId: tempId, code: 'UNAVAILABLE', retryable: true },
    ),
  );

  // Each refused send, retried with its tempId, now succeeds (a write that landed just before the
  // cut returns the stored original).
  const byClient: Record<string, RealtimeClient> = {
    'alice-raw': aliceRaw,
    'alice-io': aliceIo,
    'bob-raw': bobRaw,
  };
  const refused = traffic.outcomes.filter((o) => o.reply.type !== 'MESSAGE_ACK');
  const acked = new Map<string, string>(
    traffic.outcomes
      .filter((o) => o.reply.type === 'MESSAGE_ACK')
      .map((o) => [o.tempId, o.reply.messageId as string]),
  );
  for (const o of refused) {
    const reply = await byClient[o.sender]!.request(
      { type: 'SEND_MESSAGE', conversationId: dm, content: o.content, tempId: o.tempId },
      ['MESSAGE_ACK', 'ERROR'],
    );
    expect(reply).toMatchObject({ type: 'MESSAGE_ACK', tempId: o.tempId });
    acked.set(o.tempId, reply.messageId as string);
  }

  // The history holds every acknowledged message exactly once, in seq order.
  const history: { id: string; temp_id: string | null; seq?: number }[] = [];
  let cursor: string | null = null;
  do {
    const page = await alice.api.get(
      `/api/v1/messages/conversations/${dm}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    history.push(...(page.body.data as typeof history));
    cursor = page.body.next_cursor as string | null;
  } while (cursor);
  const ids = history.map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort()).toEqual([...acked.values()].sort());

  // And reached bob's listening device — including those whose fan-out met the outage (retried by
  // the bus) and those whose event the outbox relay published after it. A retried fan-out may
  // emit a frame twice (§8.4: clients de-duplicate by messageId); none may be missing.
  const aliceIds = [...acked.entries()].filter(([t]) => t.startsWith('alice')).map(([, id]) => id);
  await Promise.all(
    aliceIds.map((id) => watcher.waitFor('NEW_MESSAGE', (f) => f.messageId === id, 20_000)),
  );
  const delivered = watcher.all('NEW_MESSAGE').map((f) => f.messageId as string);
  expect([...new Set(delivered.filter((id) => aliceIds.includes(id)))].sort()).toEqual(
    [...aliceIds].sort(),
  );
});
