// A client that stops reading must not make the server buffer without bound: once a socket's
// unsent bytes pass MAX_SOCKET_BUFFER_BYTES it is dropped. The client here pauses its TCP socket
// (so the kernel stops taking bytes) while large messages are sent to it.
import type { Socket as NetSocket } from 'node:net';
import type { RunningNode } from '../../src/node';
import { connectClient, type RealtimeClient, type Transport } from '../support/realtime-client';
import { Api, registerUser, startTestNode, type TestUser } from '../support/test-node';

const base = '/api/v1/messages';
const MESSAGE_CHARS = 200_000;
/**
 * 10 MB in all: about 2.5 times what the kernel's socket buffers absorbed when measured here
 * (~4 MB), yet less than the default 8 MiB bound plus that, so only the configured bound drops it.
 */
const MESSAGES = 50;

/** The client's TCP socket under either transport (internals of ws and engine.io-client). */
function tcpOf(client: RealtimeClient): NetSocket {
  const c = client as unknown as {
    ws?: { _socket: NetSocket };
    socket?: { io: { engine: { transport: { ws: { _socket: NetSocket } } } } };
  };
  const tcp = c.ws?._socket ?? c.socket?.io.engine.transport.ws._socket;
  if (!tcp) throw new Error('no TCP socket under this client');
  return tcp;
}

/** Resolves when the connection ends, however it ends. */
function ended(client: RealtimeClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection was not dropped')), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const c = client as unknown as {
      ws?: { once(e: 'close', f: () => void): void };
      socket?: { once(e: 'disconnect', f: () => void): void };
    };
    if (c.ws) c.ws.once('close', done);
    else c.socket?.once('disconnect', done);
  });
}

describe.each<Transport>(['raw', 'socket.io'])(
  'a client that stops reading over %s',
  (transport) => {
    let node: RunningNode;
    let alice: TestUser;
    let bob: TestUser;
    let dm: string;

    beforeAll(async () => {
      node = await startTestNode({
        MAX_SOCKET_BUFFER_BYTES: String(256 * 1024),
        MAX_MESSAGE_LENGTH: String(MESSAGE_CHARS),
        RATE_LIMIT_MESSAGES_PER_SECOND: '1000',
        RATE_LIMIT_MESSAGES_BURST: '1000',
        RATE_LIMIT_WRITES_PER_SECOND: '1000',
        RATE_LIMIT_WRITES_BURST: '1000',
      });
      const api = new Api(node.url);
      [alice, bob] = await Promise.all([registerUser(api, 'alice'), registerUser(api, 'bob')]);
      dm = (await alice.api.post(`${base}/direct/${bob.id}`)).body.data.id;
    });
    afterAll(() => node.close());

    it('is dropped instead of being buffered for without limit', async () => {
      const bobClient = await connectClient(node.url, bob.token, transport);
      const tcp = tcpOf(bobClient);
      const gone = ended(bobClient, 20_000);
      tcp.pause();
      const content = 'x'.repeat(MESSAGE_CHARS);
      for (let i = 0; i < MESSAGES; i++) {
        const res = await alice.api.post(`${base}/conversations/${dm}/messages`, { content });
        expect(res.status).toBe(201);
      }
      // Reading again, the client gets what was already on the wire, then the end.
      tcp.resume();
      await gone;
      const received = bobClient.all('NEW_MESSAGE').length;
      expect(received).toBeLessThan(MESSAGES);
      await bobClient.close();
      // The node is fine and serves others.
      expect((await alice.api.get(`${base}/conversations/${dm}`)).status).toBe(200);
    });
  },
);
