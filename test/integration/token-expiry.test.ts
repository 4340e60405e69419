// A realtime connection lives no longer than its token, unless the client sends REFRESH_TOKEN
// with a valid token of the same user first. Over both transports, with real sockets.
import jwt from 'jsonwebtoken';
import type { RunningNode } from '../../src/node';
import {
  connectClient,
  rawClient,
  type RealtimeClient,
  type Transport,
} from '../support/realtime-client';
import {
  Api,
  registerUser,
  startTestNode,
  TEST_JWT_SECRET,
  type TestUser,
} from '../support/test-node';

/** A token of `userId` that expires `seconds` from now (JWT `exp` has whole-second precision). */
const mint = (userId: string, seconds: number): string =>
  jwt.sign({}, TEST_JWT_SECRET, { subject: userId, expiresIn: seconds, algorithm: 'HS256' });

const expiryOf = (token: string): string =>
  new Date((jwt.decode(token) as { exp: number }).exp * 1000).toISOString();

interface Closed {
  /** Raw: the close code. Socket.IO: the client's disconnect reason. */
  how: number | string;
}

/** Resolves when the server ends the connection; rejects after `timeoutMs`. */
function serverClosed(client: RealtimeClient, timeoutMs = 6000): Promise<Closed> {
  if (client.transport === 'raw') {
    return rawClient(client)
      .waitClosed(timeoutMs)
      .then((code) => ({ how: code }));
  }
  const socket = (
    client as unknown as { socket: { once(e: string, f: (r: string) => void): void } }
  ).socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket was not disconnected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve({ how: reason });
    });
  });
}

const expectedClose: Record<Transport, Closed> = {
  raw: { how: 4001 },
  'socket.io': { how: 'io server disconnect' },
};

const refreshReplies = ['TOKEN_REFRESHED', 'ERROR'];

describe.each<Transport>(['raw', 'socket.io'])('token expiry over %s', (transport) => {
  let node: RunningNode;
  let alice: TestUser;
  let bob: TestUser;
  const clients: RealtimeClient[] = [];

  const connect = async (token: string): Promise<RealtimeClient> => {
    const c = await connectClient(node.url, token, transport);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await startTestNode();
    const api = new Api(node.url);
    [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => node.close());

  it('closes a socket when its token expires, saying UNAUTHORIZED', async () => {
    const c = await connect(mint(alice.id, 2));
    const closed = serverClosed(c);
    const error = await c.waitFor('ERROR', () => true, 6000);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await closed).toEqual(expectedClose[transport]);
  });

  it('keeps a socket open past the old expiry after REFRESH_TOKEN', async () => {
    const short = mint(alice.id, 2);
    const refreshed = await connect(short);
    // A second socket on the same token, not refreshed: its close marks the old expiry passing.
    const control = await connect(short);
    const controlClosed = serverClosed(control);
    const longer = mint(alice.id, 3600);
    const reply = await refreshed.request({ type: 'REFRESH_TOKEN', token: longer }, refreshReplies);
    expect(reply).toEqual({ type: 'TOKEN_REFRESHED', expiresAt: expiryOf(longer) });
    expect(await controlClosed).toEqual(expectedClose[transport]);
    expect(await refreshed.request({ type: 'ping' })).toEqual({ type: 'pong' });
    expect(refreshed.all('ERROR')).toEqual([]);
  });

  it('refuses a token of another user or a bad one, and keeps the old expiry', async () => {
    const c = await connect(mint(alice.id, 2));
    const closed = serverClosed(c);
    for (const token of [mint(bob.id, 3600), 'not-a-jwt', mint(alice.id, -10)]) {
      const reply = await c.request({ type: 'REFRESH_TOKEN', token }, refreshReplies);
      expect(reply).toMatchObject({ type: 'ERROR', code: 'UNAUTHORIZED' });
    }
    const invalid = await c.request({ type: 'REFRESH_TOKEN', token: 42 }, refreshReplies);
    expect(invalid).toMatchObject({ type: 'ERROR', code: 'VALIDATION' });
    expect(await closed).toEqual(expectedClose[transport]);
    expect(c.all('TOKEN_REFRESHED')).toEqual([]);
  });

  it('leaves a socket whose token does not expire soon alone', async () => {
    const c = await connect(mint(alice.id, 3600));
    const control = await connect(mint(alice.id, 2));
    await serverClosed(control);
    expect(await c.request({ type: 'ping' })).toEqual({ type: 'pong' });
  });
});
