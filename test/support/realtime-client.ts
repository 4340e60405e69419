// Test clients for both transports behind one interface: send frames, wait for frames.
import { Agent } from 'node:http';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export type Frame = { type: string } & Record<string, any>;
export type Transport = 'socket.io' | 'raw';

export interface RealtimeClient {
  readonly transport: Transport;
  readonly frames: Frame[];
  /** Sends a frame; raw clients get replies as frames, socket.io ones too unless `request` is used. */
  send(frame: Frame): void;
  /** Sends a frame and resolves with its reply (socket.io: through the ack callback). */
  request(frame: Frame, replyTypes?: string[]): Promise<Frame>;
  /** Resolves with the first frame (already received or future) matching, or rejects on timeout. */
  waitFor(
    type: string | string[],
    match?: (f: Frame) => boolean,
    timeoutMs?: number,
  ): Promise<Frame>;
  /** Frames of a type received so far. */
  all(type: string, match?: (f: Frame) => boolean): Frame[];
  close(): Promise<void>;
}

interface Waiter {
  types: string[];
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
}

abstract class BaseClient {
  readonly frames: Frame[] = [];
  private waiters: Waiter[] = [];

  protected push(frame: Frame): void {
    this.frames.push(frame);
    for (const w of [...this.waiters]) {
      if (w.types.includes(frame.type) && w.match(frame)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(frame);
      }
    }
  }

  all(type: string, match: (f: Frame) => boolean = () => true): Frame[] {
    return this.frames.filter((f) => f.type === type && match(f));
  }

  /** `type` may list several: the first frame of any of them that matches wins (one timer). */
  waitFor(
    type: string | string[],
    match: (f: Frame) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Frame> {
    const types = Array.isArray(type) ? type : [type];
    const found = this.frames.find((f) => types.includes(f.type) && match(f));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        types,
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(
          new Error(
            `timed out waiting for ${types.join('|')}; got ${JSON.stringify(this.frames.map((f) => f.type))}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

class SocketIoClient extends BaseClient implements RealtimeClient {
  readonly transport = 'socket.io' as const;
  constructor(
    readonly socket: Socket,
    ackNewMessages: boolean,
  ) {
    super();
    socket.onAny((event: string, payload: Record<string, unknown>, ack?: unknown) => {
      this.push({ type: event, ...(payload ?? {}) });
      if (event === 'NEW_MESSAGE' && ackNewMessages && typeof ack === 'function')
        (ack as (x: unknown) => void)({ ok: true });
    });
  }

  send(frame: Frame): void {
    const { type, ...payload } = frame;
    this.socket.emit(type, payload);
  }

  request(frame: Frame): Promise<Frame> {
    const { type, ...payload } = frame;
    return this.socket.timeout(5000).emitWithAck(type, payload) as Promise<Frame>;
  }

  close(): Promise<void> {
    this.socket.disconnect();
    return Promise.resolve();
  }
}

class RawClient extends BaseClient implements RealtimeClient {
  readonly transport = 'raw' as const;
  closeCode: number | null = null;
  constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => {
      this.push(JSON.parse(String(data)) as Frame);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  async request(
    frame: Frame,
    replyTypes = ['MESSAGE_ACK', 'ERROR', 'pong', 'SYNC_RESULT'],
  ): Promise<Frame> {
    const before = this.frames.length;
    this.send(frame);
    const matches = (f: Frame) => this.frames.indexOf(f) >= before;
    // One waiter for all reply types, so no losing timer outlives the reply.
    return this.waitFor(replyTypes, matches);
  }

  waitClosed(timeoutMs = 5000): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export interface ConnectOptions {
  /** Socket.IO only: acknowledge NEW_MESSAGE events (the delivery receipt). @default false */
  ackNewMessages?: boolean;
  /** Socket.IO only: `['polling', 'websocket']` polls first, then upgrades. @default ['websocket'] */
  transports?: ('polling' | 'websocket')[];
  /**
   * Address to connect from (any of 127.0.0.0/8): behind a proxy that hashes client addresses,
   * another address can land on another node.
   */
  localAddress?: string;
}

/** Connects and resolves once the `connected` greeting has arrived. */
export async function connectClient(
  baseUrl: string,
  token: string,
  transport: Transport,
  options: ConnectOptions = {},
): Promise<RealtimeClient> {
  if (transport === 'socket.io') {
    const socket = connectSocketIo(baseUrl, {
      auth: { token },
      transports: options.transports ?? ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(options.localAddress !== undefined && {
        // Both transports' requests (polling's and the WebSocket handshake) go through this agent.
        agent: new Agent({ localAddress: options.localAddress }) as never,
        localAddress: options.localAddress,
      }),
    });
    const client = new SocketIoClient(socket, options.ackNewMessages ?? false);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    await client.waitFor('connected');
    return client;
  }
  const ws = new WebSocket(
    `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(token)}`,
    options.localAddress !== undefined ? { localAddress: options.localAddress } : {},
  );
  const client = new RawClient(ws);
  await client.waitFor('connected');
  return client;
}

export const rawClient = (c: RealtimeClient): RawClient => c as RawClient;

/** Opens a raw socket without waiting for the greeting (for handshake-failure tests). */
export function openRaw(baseUrl: string, query: string, protocols?: string[]): RawClient {
  return new RawClient(
    new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/ws${query}`, protocols),
  );
}

/** Opens a raw socket with extra handshake headers (e.g. Authorization). */
export function openRawWithHeaders(baseUrl: string, headers: Record<string, string>): RawClient {
  return new RawClient(new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/ws`, { headers }));
}

export { connectSocketIo };
