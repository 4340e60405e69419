// A store outage is UNAVAILABLE, never INTERNAL (docs/PROTOCOL.md §3.3, §3.4, §5.8): with its
// MongoDB gone, a node answers 503 + Retry-After on REST, ERROR UNAVAILABLE + retryAfterMs on
// frames, and /readyz 503; when the same server comes back on the same port with its data, the
// node recovers without a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { Socket } from 'socket.io-client';
import type { RunningNode } from '../../src/node';
import { withPollingMonitor } from '../support/mongo-url';
import {
  connectClient,
  openRaw,
  connectSocketIo,
  type Frame,
  type RealtimeClient,
} from '../support/realtime-client';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

/**
 * The stand-in's process: CongoDB on a free port, stopped and started again on command (stdin
 * lines `stop` / `start`), keeping its data in memory in between. A child process because the
 * package is ESM-only and jest's sandbox cannot import() it; it exits when its stdin closes.
 */
const STAND_IN = `
const { createInterface } = await import('node:readline');
const { CongoServer } = await import(process.env.CONGO_MODULE);
const server = new CongoServer({ host: '127.0.0.1', port: 0 });
await server.start();
const { port } = server.server.address();
// Restarts listen where the first start did, so the node's URL stays valid.
server.options.port = port;
const say = (line) => process.stdout.write(line + '\\n');
say('READY ' + port);
let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (cmd) => {
    queue = queue
      .then(async () => {
        if (cmd === 'stop') { await server.stop(); say('STOPPED'); }
        if (cmd === 'start') { await server.start(); say('STARTED'); }
      })
      .catch((err) => say('FAILED ' + err.message));
  })
  .on('close', () => { void server.stop().finally(() => process.exit(0)); });
`;

class MongoStandIn {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }

  port = 0;

  static async start(): Promise<MongoStandIn> {
    const module = pathToFileURL(
      require.resolve('@push.rocks/smartmongo/dist_ts/congodb/index.js'),
    ).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', STAND_IN], {
      env: { PATH: process.env.PATH ?? '', CONGO_MODULE: module },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const standIn = new MongoStandIn(child);
    const ready = await standIn.nextLine(15_000);
    const port = /^READY (\d+)$/.exec(ready)?.[1];
    if (!port) throw new Error(`stand-in did not start: ${ready}`);
    standIn.port = Number(port);
    return standIn;
  }

  /** Stops listening and drops every connection; the data stays. */
  async stop(): Promise<void> {
    await this.command('stop', 'STOPPED');
  }

  /** Listens again on the same port, with the data it had. */
  async restart(): Promise<void> {
    await this.command('start', 'STARTED');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async command(cmd: string, expected: string): Promise<void> {
    this.child.stdin!.write(`${cmd}\n`);
    const line = await this.nextLine(10_000);
    if (line !== expected) throw new Error(`stand-in ${cmd}: ${line}`);
  }

  private nextLine(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`stand-in said nothing within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (line: string): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push(waiter);
    });
  }
}

let standIn: MongoStandIn;
let node: RunningNode;
let api: Api;
let alice: TestUser;
let bob: TestUser;
let dm: string;
let group: string;
let firstMessage: string;
let aliceRaw: RealtimeClient;
let aliceIo: RealtimeClient;
let bobRaw: RealtimeClient;
const c = '/api/v1/messages/conversations';

beforeAll(async () => {
  standIn = await MongoStandIn.start();
  const db = `parley_test_outage_${randomBytes(6).toString('hex')}`;
  node = await startTestNode({
    MONGODB_URL: withPollingMonitor(`mongodb://127.0.0.1:${standIn.port}/${db}`),
  });
  api = new Api(node.url);
  [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  dm = (await alice.api.post(`/api/v1/messages/direct/${bob.id}`)).body.data.id as string;
  group = (await alice.api.post(c, { type: 'GROUP', name: 'outage', participant_ids: [bob.id] }))
    .body.data.id as string;
  const sent = await alice.api.post(`${c}/${dm}/messages`, { content: 'before the outage' });
  expect(sent.status).toBe(201);
  firstMessage = sent.body.data.id as string;
  [aliceRaw, aliceIo, bobRaw] = await Promise.all([
    connectClient(node.url, alice.token, 'raw'),
    connectClient(node.url, alice.token, 'socket.io'),
    connectClient(node.url, bob.token, 'raw'),
  ]);
  expect((await api.get('/readyz')).status).toBe(200);
});

afterAll(async () => {
  await Promise.all([aliceRaw, aliceIo, bobRaw].map((s) => s?.close()));
  await standIn?.restart().catch(() => undefined);
  await node?.close();
  await standIn?.close();
});

describe('with the store stopped', () => {
  /** Handshakes attempted during the outage, started at once so their waits overlap the rest. */
  let handshakes: { raw: Promise<number>; socketIo: Promise<string> };

  beforeAll(async () => {
    await standIn.stop();
    handshakes = { raw: rawHandshake(), socketIo: socketIoHandshake() };
  });

  it('answers every store-backed request UNAVAILABLE, on REST and frames, and /readyz 503', async () => {
    const started = Date.now();
    const rest: [
      string,
      () => Promise<{ status: number; body: any; retryAfter: string | null }>,
    ][] = [
      ['POST /auth/register', () => raw('POST', '/api/v1/auth/register', null, registration())],
      [
        'POST /auth/login',
        () =>
          raw('POST', '/api/v1/auth/login', null, {
            username: alice.username,
            password: 'correct horse battery',
          }),
      ],
      ['GET /messages/conversations', () => raw('GET', c, alice.token)],
      ['GET /messages/conversations/{id}', () => raw('GET', `${c}/${dm}`, alice.token)],
      ['GET .../messages', () => raw('GET', `${c}/${dm}/messages`, alice.token)],
      [
        'POST .../messages',
        () =>
          raw('POST', `${c}/${dm}/messages`, alice.token, {
            content: 'during the outage',
            temp_id: 'outage-1',
          }),
      ],
      [
        'PATCH .../messages/{id}',
        () => raw('PATCH', `${c}/${dm}/messages/${firstMessage}`, alice.token, { content: 'x' }),
      ],
      [
        'DELETE .../messages/{id}',
        () => raw('DELETE', `${c}/${dm}/messages/${firstMessage}`, alice.token),
      ],
      ['PATCH .../seen', () => raw('PATCH', `${c}/${dm}/seen`, bob.token)],
      [
        'POST .../participants',
        () => raw('POST', `${c}/${group}/participants`, alice.token, { user_ids: [bob.id] }),
      ],
      [
        'GET /messages/search/users',
        () => raw('GET', `/api/v1/messages/search/users?q=bob`, alice.token),
      ],
      [
        'POST /messages/direct/{id}',
        () => raw('POST', `/api/v1/messages/direct/${bob.id}`, alice.token),
      ],
      ['GET /messages/sync', () => raw('GET', '/api/v1/messages/sync', alice.token)],
      ['POST /messages/sync', () => raw('POST', '/api/v1/messages/sync', alice.token, {})],
    ];
    const frames: [string, () => Promise<Record<string, any>>][] = [
      [
        'SEND_MESSAGE over raw',
        () =>
          slowRequest(aliceRaw, {
            type: 'SEND_MESSAGE',
            conversationId: dm,
            content: 'raw during the outage',
            tempId: 'outage-raw',
          }),
      ],
      [
        'SEND_MESSAGE over socket.io',
        () =>
          slowRequest(aliceIo, {
            type: 'SEND_MESSAGE',
            conversationId: dm,
            content: 'io during the outage',
            tempId: 'outage-io',
          }),
      ],
      [
        'MARK_SEEN over socket.io',
        () =>
          slowRequest(aliceIo, { type: 'MARK_SEEN', conversationId: dm, messageId: firstMessage }),
      ],
      ['TYPING over socket.io', () => slowRequest(aliceIo, { type: 'TYPING', conversationId: dm })],
      ['SYNC over socket.io', () => slowRequest(aliceIo, { type: 'SYNC' })],
      [
        'REFRESH_TOKEN over socket.io',
        () => slowRequest(aliceIo, { type: 'REFRESH_TOKEN', token: alice.token }),
      ],
    ];
    const [restAnswers, frameAnswers, readyz, healthz] = await Promise.all([
      Promise.all(rest.map(async ([name, go]) => ({ name, ...(await go()) }))),
      Promise.all(frames.map(async ([name, go]) => ({ name, reply: await go() }))),
      api.get('/readyz'),
      api.get('/healthz'),
    ]);
    const took = Date.now() - started;

    expect(
      restAnswers.map(({ name, status, body, retryAfter }) => ({
        name,
        status,
        code: body.code,
        retryAfterOk: retryAfter !== null && Number(retryAfter) >= 1,
      })),
    ).toEqual(
      rest.map(([name]) => ({ name, status: 503, code: 'UNAVAILABLE', retryAfterOk: true })),
    );
    expect(
      frameAnswers.map(({ name, reply }) => ({
        name,
        type: reply.type,
        code: reply.code,
        retryAfterMsOk: typeof reply.retryAfterMs === 'number' && reply.retryAfterMs > 0,
      })),
    ).toEqual(
      frames.map(([name]) => ({ name, type: 'ERROR', code: 'UNAVAILABLE', retryAfterMsOk: true })),
    );
    expect(frameAnswers[0]?.reply.tempId).toBe('outage-raw');
    expect(frameAnswers[1]?.reply.tempId).toBe('outage-io');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatchObject({ status: 'unavailable', checks: { store: false } });
    expect(healthz.status).toBe(200);
    // Bounded by the driver's server selection timeout (5 s in mongo-connection.ts).
    expect(took).toBeLessThan(12_000);
  });

  // A handshake during a store outage is refused retryably, not like a bad token: a client must
  // tell "retry shortly" (raw close 1013, Socket.IO connect_error 'unavailable') from "bad token".
  it('a raw WS handshake is refused with 1013 (try again later), not 4001', async () => {
    expect(await handshakes.raw).toBe(1013);
  });

  it("a Socket.IO handshake is refused with 'unavailable', not 'unauthorized'", async () => {
    expect(await handshakes.socketIo).toBe('unavailable');
  });
});

describe('with the store back on the same port', () => {
  beforeAll(async () => {
    await standIn.restart();
  });

  it('becomes ready again, kept its data, and serves REST and frames without a restart', async () => {
    await waitFor(async () => (await api.get('/readyz')).status === 200, {
      what: '/readyz to answer 200 again',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const page = await alice.api.get(`${c}/${dm}/messages`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((m: { id: string }) => m.id)).toContain(firstMessage);

    // A send refused during the outage, retried with its tempId (§3.4), now succeeds.
    const retried = await alice.api.post(`${c}/${dm}/messages`, {
      content: 'during the outage',
      temp_id: 'outage-1',
    });
    expect(retried.status).toBe(201);
    const ack = await aliceRaw.request({
      type: 'SEND_MESSAGE',
      conversationId: dm,
      content: 'raw during the outage',
      tempId: 'outage-raw',
    });
    expect(ack).toMatchObject({ type: 'MESSAGE_ACK', tempId: 'outage-raw' });
    await bobRaw.waitFor('NEW_MESSAGE', (f) => f.messageId === ack.messageId);
    const fresh = await connectClient(node.url, bob.token, 'raw');
    await fresh.close();
  });
});

let registrations = 0;
function registration(): { username: string; password: string } {
  return {
    username: `outage${Date.now().toString(36)}${registrations++}`,
    password: 'long enough pw',
  };
}

/** A request with its Retry-After header (Api hides headers). */
async function raw(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(node.url + path, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = { raw: text };
  try {
    parsed = JSON.parse(text);
  } catch {
    // kept as text: a 503 must still be JSON, and the assertion on `code` will say so
  }
  return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after') };
}

/** How long a reply may take while the driver waits out its server selection (5 s). */
const OUTAGE_REPLY_MS = 12_000;

/** A frame's reply, waiting longer than the clients' usual 5 s. */
function slowRequest(client: RealtimeClient, frame: Frame): Promise<Frame> {
  if (client.transport === 'socket.io') {
    const { type, ...payload } = frame;
    const socket = (client as unknown as { socket: Socket }).socket;
    return socket.timeout(OUTAGE_REPLY_MS).emitWithAck(type, payload) as Promise<Frame>;
  }
  const from = client.frames.length;
  client.send(frame);
  return client.waitFor(
    ['ERROR', 'MESSAGE_ACK', 'SYNC_RESULT', 'TOKEN_REFRESHED'],
    (f) => client.frames.indexOf(f) >= from,
    OUTAGE_REPLY_MS,
  );
}

/** The close code of a raw handshake with alice's (valid) token. */
function rawHandshake(): Promise<number> {
  return openRaw(node.url, `?token=${encodeURIComponent(alice.token)}`).waitClosed(OUTAGE_REPLY_MS);
}

/** How a Socket.IO handshake with alice's (valid) token ends: 'connected' or the error message. */
function socketIoHandshake(): Promise<string> {
  const socket = connectSocketIo(node.url, {
    auth: { token: alice.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise<string>((resolve) => {
    const settle = (how: string): void => {
      clearTimeout(timer);
      socket.close();
      resolve(how);
    };
    const timer = setTimeout(() => settle('no answer'), OUTAGE_REPLY_MS);
    socket.once('connect', () => settle('connected'));
    socket.once('connect_error', (err) => settle(err.message));
  });
}
