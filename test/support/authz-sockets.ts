// Realtime handshakes for authorization tests: every place a token can go (docs/PROTOCOL.md
// §2.3), and how each transport says no (§2.4): raw close 4001, Socket.IO connect_error.
import { connectSocketIo, openRaw, openRawWithHeaders, type Frame } from './realtime-client';

export interface HandshakeOutcome {
  /** Raw: the close code. Socket.IO: the connect_error message, or 'connected'. */
  refusal: number | string;
  /** Frames the server sent before refusing (a `connected` greeting would be a leak). */
  frames: string[];
}

export interface Handshake {
  name: string;
  expected: number | string;
  open(baseUrl: string, token: string | null): Promise<HandshakeOutcome>;
}

async function rawOutcome(client: ReturnType<typeof openRaw>): Promise<HandshakeOutcome> {
  const code = await client.waitClosed(5000);
  return { refusal: code, frames: client.frames.map((f: Frame) => f.type) };
}

function socketIoOutcome(
  baseUrl: string,
  options: { auth?: Record<string, string>; query?: Record<string, string> },
): Promise<HandshakeOutcome> {
  const socket = connectSocketIo(baseUrl, {
    ...options,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const frames: string[] = [];
  socket.onAny((event: string) => frames.push(event));
  return new Promise<HandshakeOutcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('neither connect nor connect_error within 5 s'));
    }, 5000);
    const settle = (refusal: string): void => {
      clearTimeout(timer);
      socket.close();
      resolve({ refusal, frames });
    };
    socket.once('connect', () => settle('connected'));
    socket.once('connect_error', (err) => settle(err.message));
  });
}

export const HANDSHAKES: Handshake[] = [
  {
    name: 'raw WS, token in ?token=',
    expected: 4001,
    open: (url, token) =>
      rawOutcome(openRaw(url, token === null ? '' : `?token=${encodeURIComponent(token)}`)),
  },
  {
    name: 'raw WS, token in Authorization',
    expected: 4001,
    open: (url, token) =>
      rawOutcome(
        openRawWithHeaders(url, token === null ? {} : { authorization: `Bearer ${token}` }),
      ),
  },
  {
    name: 'raw WS, token as a subprotocol',
    expected: 4001,
    open: (url, token) =>
      rawOutcome(openRaw(url, '', token === null ? ['parley'] : ['parley', token])),
  },
  {
    name: 'Socket.IO, token in auth',
    expected: 'unauthorized',
    open: (url, token) => socketIoOutcome(url, { auth: token === null ? {} : { token } }),
  },
  {
    name: 'Socket.IO, token in the query',
    expected: 'unauthorized',
    open: (url, token) => socketIoOutcome(url, { query: token === null ? {} : { token } }),
  },
];
