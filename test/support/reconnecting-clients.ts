// Clients that behave as the protocol asks after a drain (docs/PROTOCOL.md §6.6): a raw client
// waits RECONNECT's retryAfterMs after the close and reconnects (through the proxy); a Socket.IO
// client reconnects with socket.io-client's own backoff. Both send with a tempId and resend the
// same tempId until a MESSAGE_ACK comes, and both catch up with SYNC {positions}.
import { Agent } from 'node:http';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { Frame } from './realtime-client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What every session records, whatever its transport. */
export abstract class ReconnectingSession {
  /** Every frame received, on every connection, in order. */
  readonly frames: Frame[] = [];
  /** Connections that reached `connected` (the first one included). */
  connections = 0;
  /** How each connection ended: a raw close code, or socket.io-client's disconnect reason. */
  readonly endings: (number | string)[] = [];
  /** Handshakes that failed (refused, or the proxy found no node). */
  failedHandshakes = 0;
  protected stopped = false;

  abstract request(frame: Frame): Promise<Frame>;
  abstract close(): Promise<void>;
  protected abstract isOpen(): boolean;

  /** Resolves once a connection is up and greeted. */
  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isOpen()) {
      if (Date.now() > deadline) throw new Error('no connection came back');
      await sleep(20);
    }
  }

  /**
   * Sends one message until it is acknowledged, resending the same tempId after an ERROR that
   * says retry (UNAVAILABLE, RATE_LIMITED) or a connection that went away.
   */
  async sendUntilAcked(conversationId: string, content: string, tempId: string): Promise<Frame> {
    for (;;) {
      await this.ready();
      let reply: Frame;
      try {
        reply = await this.request({ type: 'SEND_MESSAGE', conversationId, content, tempId });
      } catch {
        continue; // the connection closed before the reply: resend once it is back
      }
      if (reply.type === 'MESSAGE_ACK') return reply;
      if (reply.code !== 'UNAVAILABLE' && reply.code !== 'RATE_LIMITED') {
        throw new Error(`send ${tempId} failed for good: ${JSON.stringify(reply)}`);
      }
      await sleep(typeof reply.retryAfterMs === 'number' ? reply.retryAfterMs : 200);
    }
  }

  /** NEW_MESSAGE frames received live, by conversation. */
  live(conversationId: string): Frame[] {
    return this.frames.filter(
      (f) => f.type === 'NEW_MESSAGE' && f.conversationId === conversationId,
    );
  }

  /** SYNC from the highest seq held without a hole, paging to the end; the NEW_MESSAGE events. */
  async catchUp(conversationId: string): Promise<Frame[]> {
    const held = new Set(this.live(conversationId).map((f) => f.seq as number));
    let position = 0;
    while (held.has(position + 1)) position++;
    const events: Frame[] = [];
    let next: Frame = { type: 'SYNC', positions: { [conversationId]: position }, limit: 500 };
    for (;;) {
      await this.ready();
      const page = await this.request(next);
      if (page.type !== 'SYNC_RESULT') throw new Error(`SYNC failed: ${JSON.stringify(page)}`);
      for (const e of page.events as Frame[]) {
        if (e.type === 'NEW_MESSAGE' && e.conversationId === conversationId) events.push(e);
      }
      if (!page.has_more) return events;
      next = { type: 'SYNC', since: page.next_cursor as string, limit: 500 };
    }
  }
}

/** A raw WebSocket client: the first connection to `firstUrl`, every later one to `againUrl`. */
export class RawSession extends ReconnectingSession {
  private ws: WebSocket | null = null;
  private open = false;
  private retryAfterMs = 200;
  private waiting: { match: (f: Frame) => boolean; settle: (f: Frame | Error) => void }[] = [];

  constructor(
    private readonly againUrl: string,
    private readonly token: string,
  ) {
    super();
  }

  async connect(url: string): Promise<void> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws?token=${this.token}`);
    this.ws = ws;
    ws.on('message', (data) => {
      this.onFrame(JSON.parse(String(data)) as Frame);
    });
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const greeting = { match: (f: Frame) => f.type === 'connected', settle: () => resolve() };
      this.waiting.push(greeting);
      // A refused handshake (503 from a draining node, 502 from the proxy) ends here too.
      ws.once('close', () => {
        this.waiting = this.waiting.filter((w) => w !== greeting);
        reject(new Error('closed before connected'));
      });
    });
    this.open = true;
    this.connections++;
    ws.once('close', (code) => {
      this.onClose(code);
    });
  }

  request(frame: Frame): Promise<Frame> {
    const ws = this.ws;
    if (!ws || !this.open) return Promise.reject(new Error('not connected'));
    const { tempId } = frame;
    const replyTypes = frame.type === 'SYNC' ? ['SYNC_RESULT', 'ERROR'] : ['MESSAGE_ACK', 'ERROR'];
    return new Promise((resolve, reject) => {
      this.waiting.push({
        match: (f) =>
          replyTypes.includes(f.type) &&
          (frame.type === 'SYNC' ? f.tempId === undefined : f.tempId === tempId),
        settle: (f) => {
          if (f instanceof Error) reject(f);
          else resolve(f);
        },
      });
      ws.send(JSON.stringify(frame));
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  }

  protected isOpen(): boolean {
    return this.open;
  }

  private onFrame(f: Frame): void {
    this.frames.push(f);
    if (f.type === 'RECONNECT') this.retryAfterMs = f.retryAfterMs as number;
    const waiter = this.waiting.find((w) => w.match(f));
    if (waiter) {
      this.waiting = this.waiting.filter((w) => w !== waiter);
      waiter.settle(f);
    }
  }

  private onClose(code: number): void {
    this.open = false;
    this.endings.push(code);
    for (const w of this.waiting.splice(0)) w.settle(new Error(`closed (${code})`));
    if (!this.stopped) void this.reconnect();
  }

  /** After RECONNECT's delay (or 200 ms), then with backoff while the handshake fails. */
  private async reconnect(): Promise<void> {
    let delay = this.retryAfterMs;
    while (!this.stopped) {
      await sleep(delay);
      try {
        await this.connect(this.againUrl);
        return;
      } catch {
        this.failedHandshakes++;
        delay = Math.min(2000, delay * 2);
      }
    }
  }
}

/** A socket.io-client socket with reconnection on, from a chosen loopback address. */
export class SocketIoSession extends ReconnectingSession {
  readonly socket: Socket;

  constructor(
    url: string,
    token: string,
    options: { localAddress: string; transports: ('polling' | 'websocket')[] },
  ) {
    super();
    this.socket = connectSocketIo(url, {
      auth: { token },
      transports: options.transports,
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
      agent: new Agent({ localAddress: options.localAddress }) as never,
      localAddress: options.localAddress,
    } as Parameters<typeof connectSocketIo>[1]);
    this.socket.onAny((event: string, payload: Record<string, unknown> | undefined) => {
      this.frames.push({ type: event, ...(payload ?? {}) });
      if (event === 'connected') this.connections++;
    });
    this.socket.on('disconnect', (reason) => {
      this.endings.push(reason);
    });
    this.socket.on('connect_error', () => {
      this.failedHandshakes++;
    });
  }

  request(frame: Frame): Promise<Frame> {
    const { type, ...payload } = frame;
    return this.socket.timeout(5000).emitWithAck(type, payload) as Promise<Frame>;
  }

  close(): Promise<void> {
    this.stopped = true;
    this.socket.disconnect();
    return Promise.resolve();
  }

  protected isOpen(): boolean {
    // Connected and greeted: the greeting counts connections, the socket says it is up now.
    return this.socket.connected && this.connections > 0;
  }
}
