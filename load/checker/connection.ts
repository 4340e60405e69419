// One realtime connection over either transport (socket.io-client, or a raw WebSocket at
// /api/v1/ws?token=) behind one interface: frames in, requests with replies, drop and close.
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export type Frame = { type: string } & Record<string, any>;
export type Transport = 'socket.io' | 'raw';

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
}

export interface ConnectionHandlers {
  onFrame: (frame: Frame, conn: Connection) => void;
  onClose: (conn: Connection) => void;
}

export class RequestTimeout extends Error {}
export class ConnectionClosed extends Error {}

export abstract class Connection {
  /**
   * When the server had the socket in its rooms: the greeting's arrival (the server greets once
   * the socket is set up). A message sent before then may rightly reach it only through SYNC.
   */
  openedAt = Date.now();
  closedAt: number | null = null;
  /** The `connected` greeting's cursor (null if the server had none). */
  cursor: string | null = null;
  protected waiters: Waiter[] = [];
  private closedListeners: (() => void)[] = [];

  constructor(
    readonly id: number,
    readonly url: string,
    protected readonly handlers: ConnectionHandlers,
  ) {}

  abstract readonly transport: Transport;
  abstract send(frame: Frame): void;
  /**
   * Sends and resolves with the reply: through the Socket.IO acknowledgement, or (raw) the first
   * frame `match` accepts. Rejects with RequestTimeout or ConnectionClosed.
   */
  abstract request(frame: Frame, match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame>;
  /** Abrupt loss of the connection (no close handshake), as a network drop. */
  abstract drop(): void;
  /** A clean close. */
  abstract close(): void;

  get open(): boolean {
    return this.closedAt === null;
  }

  /** Waits for the `connected` greeting and keeps its cursor. */
  async greet(timeoutMs: number): Promise<void> {
    const greeting = await this.wait((f) => f.type === 'connected', timeoutMs);
    this.openedAt = Date.now();
    this.cursor = typeof greeting.cursor === 'string' ? greeting.cursor : null;
  }

  /** The connection failed or ended outside our control. */
  fail(): void {
    this.closed();
  }

  protected closed(): void {
    if (this.closedAt !== null) return;
    this.closedAt = Date.now();
    for (const l of this.closedListeners.splice(0)) l();
    this.handlers.onClose(this);
  }

  /** Resolves on close; rejects-style callers use it to abandon a request. */
  protected whenClosed(listener: () => void): void {
    if (this.closedAt !== null) listener();
    else this.closedListeners.push(listener);
  }

  protected deliver(frame: Frame): void {
    const waiter = this.waiters.find((w) => w.match(frame));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(frame);
      return;
    }
    this.handlers.onFrame(frame, this);
  }

  protected wait(match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new RequestTimeout(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.whenClosed(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        reject(new ConnectionClosed('connection closed'));
      });
      this.waiters.push(waiter);
    });
  }
}

class SocketIoConnection extends Connection {
  readonly transport = 'socket.io' as const;
  socket!: Socket;

  attach(socket: Socket): void {
    this.socket = socket;
    socket.onAny((event: string, payload: unknown, ack?: unknown) => {
      const body = typeof payload === 'object' && payload !== null ? payload : {};
      // The delivery receipt: acknowledging NEW_MESSAGE (any payload) marks it delivered.
      if (event === 'NEW_MESSAGE' && typeof ack === 'function')
        (ack as (x: unknown) => void)({ ok: true });
      this.deliver({ type: event, ...body });
    });
    socket.on('disconnect', () => this.closed());
  }

  send(frame: Frame): void {
    const { type, ...payload } = frame;
    this.socket.emit(type, payload);
  }

  async request(frame: Frame, _match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    if (!this.open) throw new ConnectionClosed('connection closed');
    const { type, ...payload } = frame;
    const reply = new Promise<Frame>((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(type, payload, (err: Error | null, answer: Frame) => {
        if (err)
          reject(this.open ? new RequestTimeout(err.message) : new ConnectionClosed(err.message));
        else resolve(answer);
      });
      this.whenClosed(() => reject(new ConnectionClosed('connection closed')));
    });
    return reply;
  }

  drop(): void {
    const transport = (
      this.socket.io.engine as unknown as { transport?: { ws?: { terminate?: () => void } } }
    ).transport;
    if (transport?.ws?.terminate) transport.ws.terminate();
    else this.socket.disconnect();
  }

  close(): void {
    this.socket.disconnect();
    this.closed();
  }
}

class RawConnection extends Connection {
  readonly transport = 'raw' as const;
  ws!: WebSocket;

  attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { type: 'UNPARSEABLE', raw: data.toString().slice(0, 200) };
      }
      this.deliver(frame);
    });
    ws.on('close', () => this.closed());
    ws.on('error', () => this.closed());
  }

  send(frame: Frame): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  request(frame: Frame, match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    if (!this.open) return Promise.reject(new ConnectionClosed('connection closed'));
    const reply = this.wait(match, timeoutMs);
    this.send(frame);
    return reply;
  }

  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close();
    this.closed();
  }
}

/** Connects and resolves once the `connected` greeting arrived (its cursor is kept). */
export async function openConnection(
  id: number,
  url: string,
  token: string,
  transport: Transport,
  handlers: ConnectionHandlers,
  timeoutMs = 5000,
): Promise<Connection> {
  let conn: SocketIoConnection | RawConnection;
  if (transport === 'socket.io') {
    const c = new SocketIoConnection(id, url, handlers);
    c.attach(
      io(url, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
      }),
    );
    c.socket.on('connect_error', () => {
      c.socket.disconnect();
      c.fail();
    });
    conn = c;
  } else {
    const c = new RawConnection(id, url, handlers);
    c.attach(
      new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(token)}`, {
        handshakeTimeout: timeoutMs,
      }),
    );
    conn = c;
  }
  try {
    await conn.greet(timeoutMs);
  } catch (err) {
    conn.drop();
    conn.fail();
    throw err;
  }
  return conn;
}
