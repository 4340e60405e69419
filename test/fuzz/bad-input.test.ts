// The fuzz suite (seeded, reproducible: FUZZ_SEED): thousands of bad inputs over REST, the raw
// WebSocket endpoint and Socket.IO against one in-process node. Whatever comes in, the node
// stays up, never answers 5xx, refuses in the documented shape (docs/PROTOCOL.md §3.2, §6.5),
// keeps every socket open, and the stored state reads back exactly as before.
import fc from 'fast-check';
import { httpStatusOf, type ErrorCode } from '../../src/domain/errors';
import type { RunningNode } from '../../src/node';
import { rawEnders, socketIoGarbage, type RawEnder } from '../support/fuzz-connection-enders';
import { RawHttp, type RawResponse } from '../support/fuzz-http';
import { checkErrorReply, exchange, socketOf } from '../support/fuzz-realtime';
import { restCases, type RestCase } from '../support/fuzz-rest-cases';
import { baseSeed, fuzz, FuzzCounts, watchProcess } from '../support/fuzz-run';
import {
  rawFrameCases,
  socketIoCases,
  type RawFrameCase,
  type SocketIoCase,
} from '../support/fuzz-transport-cases';
import { toJson, unicodeEdgeString, type FuzzValue } from '../support/fuzz-values';
import { seedWorld, snapshotWorld, type World } from '../support/fuzz-world';
import {
  connectClient,
  rawClient,
  type Frame,
  type RealtimeClient,
} from '../support/realtime-client';
import { startTestNode } from '../support/test-node';

/** Runs per surface: together well over 10,000 bad inputs, in well under a minute. */
const RUNS = { rest: 3400, raw: 3400, socketIo: 3400 };
const MAX_BODY_BYTES = 1024 * 1024;
/** Budgets raised so the fuzz is never throttled (the flood suite keeps them low). */
const UNTHROTTLED = Object.fromEntries(
  ['IP', 'WRITES', 'FRAMES', 'TYPING', 'MESSAGES'].flatMap((k) => [
    [`RATE_LIMIT_${k}_PER_SECOND`, '1000000'],
    [`RATE_LIMIT_${k}_BURST`, '1000000'],
  ]),
);

const ERROR_BODY_KEYS = ['code', 'detail', 'success'];

/**
 * The answer a case allows: a refusal in the one REST error shape whose code maps to the status
 * it came with, or (hostile reads) a success envelope.
 */
function checkRestAnswer(res: RawResponse, c: RestCase): void {
  if (res.status >= 500 || !c.expect.includes(res.status)) {
    throw new Error(`expected ${c.expect.join('|')}, got ${res.status}: ${res.text.slice(0, 300)}`);
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) {
    throw new Error(`answer without a JSON body: ${String(res.headers['content-type'])}`);
  }
  const body = JSON.parse(res.text) as Record<string, unknown>;
  if (res.status < 300) {
    if (body.success !== true || !Array.isArray(body.data)) {
      throw new Error(`success of the wrong shape: ${res.text.slice(0, 300)}`);
    }
    return;
  }
  const keys = Object.keys(body).sort();
  if (
    keys.join() !== ERROR_BODY_KEYS.join() ||
    body.success !== false ||
    typeof body.detail !== 'string' ||
    typeof body.code !== 'string'
  ) {
    throw new Error(`error body of the wrong shape: ${res.text.slice(0, 300)}`);
  }
  if (httpStatusOf[body.code as ErrorCode] !== res.status) {
    throw new Error(`code ${body.code} answered with status ${res.status}`);
  }
}

const counts = new FuzzCounts();
afterAll(() => {
  console.log(counts.report());
});

describe('fuzz: bad input changes nothing and breaks nothing', () => {
  let node: RunningNode;
  let world: World;
  let http: RawHttp;
  let before: unknown;
  let crashes: ReturnType<typeof watchProcess>;
  const sockets: Record<'alice' | 'dave', { raw: RealtimeClient; sio: RealtimeClient }> =
    {} as never;

  beforeAll(async () => {
    // After jest installed its own handlers at run start (it removes earlier ones).
    crashes = watchProcess();
    console.log(`fuzz seed ${baseSeed} (set FUZZ_SEED to run another)`);
    node = await startTestNode(UNTHROTTLED);
    world = await seedWorld(node.url);
    http = new RawHttp(node.url);
    for (const who of ['alice', 'dave'] as const) {
      const token = world.users[who].token;
      sockets[who] = {
        raw: await connectClient(node.url, token, 'raw'),
        sio: await connectClient(node.url, token, 'socket.io'),
      };
    }
    before = await snapshotWorld(world);
  }, 30_000);

  afterAll(async () => {
    for (const s of Object.values(sockets)) await Promise.all([s.raw.close(), s.sio.close()]);
    http.close();
    await node.close();
    crashes.stop();
  });

  it('REST: every route refuses bad params, queries, bodies, encodings and tokens', async () => {
    await fuzz('rest', restCases(world, MAX_BODY_BYTES), { numRuns: RUNS.rest }, async (c) => {
      counts.add('rest', c.family);
      const auth: Record<string, string> =
        c.auth === null
          ? {}
          : {
              authorization:
                'user' in c.auth ? `Bearer ${world.users[c.auth.user].token}` : c.auth.header,
            };
      const res = await http.send({
        method: c.method,
        path: c.path,
        headers: { ...auth, ...c.headers },
        body: c.body,
      });
      checkRestAnswer(res, c);
    });
    expect(await snapshotWorld(world)).toEqual(before);
  }, 90_000);

  it('raw WebSocket: every bad frame gets one ERROR and the socket stays open', async () => {
    await fuzz('raw-ws', rawFrameCases(world), { numRuns: RUNS.raw }, async (c: RawFrameCase) => {
      counts.add('raw-ws', c.family);
      const client = rawClient(sockets[c.from].raw);
      const replies = await exchange(
        client,
        () => client.ws.send(c.data, { binary: c.binary }),
        () => client.send({ type: 'ping' }),
      );
      checkErrorReply(replies, c.expect, c.tempId, c.echo !== undefined);
    });
    for (const who of ['alice', 'dave'] as const) {
      expect(await sockets[who].raw.request({ type: 'ping' })).toEqual({ type: 'pong' });
    }
    expect(await snapshotWorld(world)).toEqual(before);
  }, 90_000);

  it('Socket.IO: every bad event gets one ERROR and the socket stays connected', async () => {
    await fuzz(
      'socket.io',
      socketIoCases(world),
      { numRuns: RUNS.socketIo },
      async (c: SocketIoCase) => {
        counts.add('socket.io', c.family);
        const client = sockets[c.from].sio;
        const socket = socketOf(client);
        let replies: Frame[];
        if (c.mode === 'ack') {
          replies = [(await socket.timeout(3000).emitWithAck(c.event, ...c.args)) as Frame];
        } else {
          replies = await exchange(
            client,
            () => {
              if (c.mode === 'event') socket.emit(c.event, ...c.args);
              else socket.io.engine.send(`2${toJson([c.event, ...c.args] as FuzzValue[])}`);
            },
            () => socket.emit('ping'),
          );
        }
        checkErrorReply(replies, c.expect, c.tempId, c.echo !== undefined);
      },
    );
    for (const who of ['alice', 'dave'] as const) {
      await expect(sockets[who].sio.request({ type: 'ping' })).resolves.toEqual({ type: 'pong' });
    }
    expect(await snapshotWorld(world)).toEqual(before);
  }, 90_000);

  it('inputs that end a connection end only that one, cleanly', async () => {
    const token = world.users.alice.token;
    await fuzz('raw-ws closes', rawEnders(world), { numRuns: 40 }, async (c: RawEnder) => {
      counts.add('raw-ws', c.family);
      const client = rawClient(await connectClient(node.url, token, 'raw'));
      client.ws.send(c.data, { binary: c.binary });
      const code = await client.waitClosed();
      if (code !== c.closeCode) throw new Error(`expected close ${c.closeCode}, got ${code}`);
    });
    await fuzz('socket.io garbage', socketIoGarbage, { numRuns: 60 }, async (packet: string) => {
      counts.add('socket.io', 'closes:protocol-garbage');
      const client = await connectClient(node.url, token, 'socket.io');
      const socket = socketOf(client);
      const closed = new Promise<string>((resolve) => {
        socket.once('disconnect', resolve);
      });
      socket.io.engine.send(packet);
      // Either Socket.IO drops the connection, or it ignored the packet and still answers.
      const ping = socket
        .timeout(3000)
        .emitWithAck('ping', {})
        .then(
          (reply) => JSON.stringify(reply),
          () => (socket.connected ? 'no answer' : 'closed'),
        );
      const outcome = await Promise.race([closed.then(() => 'closed'), ping]);
      if (outcome !== 'closed' && outcome !== '{"type":"pong"}') {
        throw new Error(`neither closed nor answering: ${outcome}`);
      }
      socket.disconnect();
    });
  }, 90_000);

  it('REST: logins and registrations that reach password hashing are refused alike', async () => {
    const passwordCases = fc.oneof(
      fc
        .tuple(
          unicodeEdgeString.filter((u) => u.length <= 256),
          unicodeEdgeString,
        )
        .map(([username, password]) => ({
          path: '/api/v1/auth/login',
          body: { username, password },
          expect: 401,
        })),
      fc.constantFrom('alice', 'bob').chain((who) =>
        fc
          .constantFrom(world.users[who].username, world.users[who].username.toUpperCase())
          .map((username) => ({
            path: '/api/v1/auth/register',
            body: { username, password: 'another horse battery' },
            expect: 409,
          })),
      ),
    );
    // Each one costs an Argon2 hash or verification: a handful makes the point.
    await fuzz('rest passwords', passwordCases, { numRuns: 6 }, async (c) => {
      counts.add('rest', 'auth:password-checked');
      const res = await http.send({
        method: 'POST',
        path: c.path,
        headers: { 'content-type': 'application/json' },
        body: toJson(c.body),
      });
      checkRestAnswer(res, {
        route: `POST ${c.path}`,
        family: 'auth',
        auth: null,
        method: 'POST',
        path: c.path,
        headers: {},
        expect: [c.expect],
      });
    });
  }, 30_000);

  it('SYNC positions of conversations the caller is not in return nothing of them', async () => {
    const probes = fc.record({
      who: fc.constantFrom('alice' as const, 'dave' as const),
      via: fc.constantFrom('rest' as const, 'raw' as const, 'socket.io' as const),
      seq: fc.nat(5),
      mine: fc.boolean(),
    });
    await fuzz(
      'sync foreign positions',
      probes,
      { numRuns: 60 },
      async ({ who, via, seq, mine }) => {
        counts.add(
          via === 'rest' ? 'rest' : via === 'raw' ? 'raw-ws' : 'socket.io',
          'read:foreign-sync',
        );
        const foreign = who === 'alice' ? [world.otherDm] : [world.otherDm, world.dm, world.group];
        const positions: Record<string, number> = { [world.otherDm]: seq };
        if (mine && who === 'alice') positions[world.dm] = 0;
        const result =
          via === 'rest'
            ? (await world.users[who].api.post('/api/v1/messages/sync', { positions })).body
            : await sockets[who][via === 'raw' ? 'raw' : 'sio'].request({
                type: 'SYNC',
                positions,
              });
        const text = JSON.stringify(result);
        if (!text.includes('next_cursor')) throw new Error(`no SYNC result: ${text.slice(0, 300)}`);
        const leaked = foreign.filter((id) => text.includes(id));
        if (leaked.length > 0) throw new Error(`SYNC returned events of ${leaked.join(', ')}`);
      },
    );
  });

  it('ends with the node up, no crash, and the state unchanged', async () => {
    const health = await http.send({ method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
    expect(crashes.errors).toEqual([]);
    expect(await snapshotWorld(world)).toEqual(before);
    expect(counts.total).toBeGreaterThanOrEqual(10_000);
  });
});
