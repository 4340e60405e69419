// The gate of a draining node (docs/PROTOCOL.md §6.6). From SIGTERM on, new HTTP requests and
// WebSocket handshakes get 503 with Retry-After (nginx's proxy_next_upstream then sends them to
// another node), new realtime commands get ERROR UNAVAILABLE, and the node can wait for the
// requests and commands already running before it closes anything.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorFrame } from './app/command-handler';
import { AppError } from './domain/errors';
import type { ServerFrame } from './protocol/frames';

/** What a refused request or command is told: by then it will have found a node that is up. */
const RETRY_AFTER_MS = 1000;

/** Paths a draining node still answers: probes (readyz says 503 itself) and its metrics. */
const OPEN_WHILE_DRAINING = new Set(['/healthz', '/readyz', '/metrics', '/api/v1/ws/health']);

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
type Execute<C> = (type: string, payload: unknown, ctx: C) => Promise<ServerFrame | null>;

const drainingError = (): AppError =>
  new AppError(
    'UNAVAILABLE',
    'this node is shutting down; reconnect to another',
    undefined,
    RETRY_AFTER_MS,
  );

export class DrainGate {
  private draining = false;
  private requests = 0;
  private commands = 0;
  private idleWaiters: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Puts the gate in front of every 'request' and 'upgrade' listener the server has (Express,
   * engine.io — which took over 'request' when it attached —, the raw WebSocket bridge). Call it
   * once all of them are attached.
   */
  install(server: Server): void {
    const onRequest = server.listeners('request') as RequestListener[];
    const onUpgrade = server.listeners('upgrade') as UpgradeListener[];
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const { pathname, searchParams } = new URL(req.url ?? '/', 'http://localhost');
      const socketIo = pathname.startsWith('/socket.io/');
      // A live long-polling session must keep polling: that is how it receives its close.
      const open = OPEN_WHILE_DRAINING.has(pathname) || (socketIo && searchParams.has('sid'));
      if (this.draining && !open) {
        refuseRequest(res);
        return;
      }
      // Long-polls are held open on purpose (up to the ping interval): not work in flight.
      if (!socketIo) this.trackRequest(res);
      for (const listener of onRequest) listener.call(server, req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.draining) {
        refuseUpgrade(socket);
        return;
      }
      for (const listener of onUpgrade) listener.call(server, req, socket, head);
    });
  }

  /** From now on: 503 to new requests and handshakes, UNAVAILABLE to new commands. */
  start(): void {
    this.draining = true;
  }

  /**
   * The command handler's entry point, counted while it runs and refused while draining (ping
   * still answers: it is how a client tells a slow node from a dead one).
   */
  guardCommands<C>(execute: Execute<C>): Execute<C> {
    return async (type, payload, ctx) => {
      if (this.draining && type !== 'ping') return errorFrame(drainingError(), tempIdOf(payload));
      this.commands++;
      try {
        return await execute(type, payload, ctx);
      } finally {
        this.commands--;
        this.wakeIfIdle();
      }
    };
  }

  /** Resolves once no HTTP request and no command is running. */
  idle(): Promise<void> {
    if (this.requests === 0 && this.commands === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private trackRequest(res: ServerResponse): void {
    this.requests++;
    // 'close' comes once the response is sent or the client went away, whichever is first.
    res.once('close', () => {
      this.requests--;
      this.wakeIfIdle();
    });
  }

  private wakeIfIdle(): void {
    if (this.requests !== 0 || this.commands !== 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** True when `work` finished within `ms`; false when the time ran out first (it keeps running). */
export async function finishesWithin(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(false);
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Floor and spread of the RECONNECT delay: jitter, so a node's clients arrive spread out. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_SPREAD_MS = 2000;

/** One client's RECONNECT delay; the spread stays within a quarter of the drain's budget. */
export function reconnectDelayMs(drainTimeoutMs: number): number {
  const spread = Math.min(RECONNECT_SPREAD_MS, drainTimeoutMs / 4);
  return RECONNECT_MIN_MS + Math.floor(Math.random() * spread);
}

function refuseRequest(res: ServerResponse): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', String(RETRY_AFTER_MS / 1000));
  // The connection goes too: a keep-alive connection to a draining node has nothing left to carry.
  res.setHeader('Connection', 'close');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  const { code, message } = drainingError();
  res.end(JSON.stringify({ success: false, detail: message, code }));
}

/** A handshake is refused before any WebSocket exists, with a plain HTTP answer on the socket. */
function refuseUpgrade(socket: Duplex): void {
  socket.on('error', () => undefined); // the client may already be gone; nothing to do then
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${RETRY_AFTER_MS / 1000}\r\n` +
      'Connection: close\r\nContent-Length: 0\r\n\r\n',
  );
}

function tempIdOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const tempId = (payload as { tempId?: unknown }).tempId;
  return typeof tempId === 'string' ? tempId.slice(0, 128) : undefined;
}
