// The Socket.IO server: JWT handshake, one `user:<id>` room per user, presence, and every
// incoming event (from socket.io-client or the raw-WebSocket bridge) run by the command handler.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import type { AuthService } from '../app/auth-service';
import { errorFrame, tempIdOf, type CommandHandler } from '../app/command-handler';
import { AppError, isUnavailable } from '../domain/errors';
import type { SyncService } from '../app/sync-service';
import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import {
  frame,
  type ClientToServerEvents,
  type ServerFrame,
  type ServerToClientEvents,
  type InterNodeEvents,
  type SocketData,
} from '../protocol/frames';
import { tooDeepMessage, valueTooDeep } from '../protocol/json-limits';
import type { Presence, Store } from '../ports';
import { FrameGate } from './frame-gate';
import { UNAVAILABLE_REFUSAL } from './raw-ws-codec';
import { takeHandedOver } from './handshake-users';
import { dropConnection, OutgoingBufferBound } from './outgoing-buffer';
import { RawEngineConnection } from './raw-engine-connection';
import { ExpirySchedule, refreshToken } from './token-expiry';

export type ParleyServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterNodeEvents,
  SocketData
>;
export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterNodeEvents,
  SocketData
>;

export const userRoom = (userId: string): string => `user:${userId}`;

/**
 * The size beyond which a frame closes its connection instead of getting FRAME_TOO_LARGE, on both
 * transports: it bounds the memory one frame can take.
 */
export const hardFrameLimit = (maxFrameBytes: number): number =>
  Math.max(1_000_000, maxFrameBytes * 4);

/** Creates the Socket.IO server on the HTTP server; handlers come with attachSocketHandlers. */
export function createSocketServer(
  httpServer: HttpServer,
  config: Pick<Config, 'corsOrigins' | 'limits'>,
  adapter?: (nsp: unknown) => Adapter,
): ParleyServer {
  return new Server(httpServer, {
    path: '/socket.io',
    cors: { origin: config.corsOrigins === '*' ? '*' : config.corsOrigins },
    // Frames between MAX_FRAME_BYTES and this get FRAME_TOO_LARGE and keep the connection;
    // beyond it the transport closes, so memory per frame stays bounded.
    maxHttpBufferSize: hardFrameLimit(config.limits.maxFrameBytes),
    // The raw WebSocket endpoint shares the HTTP server; its upgrades are not ours to destroy.
    destroyUpgrade: false,
    ...(adapter && { adapter: adapter as never }),
  });
}

export interface SocketHandlerDeps {
  config: Pick<Config, 'limits'>;
  auth: AuthService;
  commands: CommandHandler;
  /** Hands each connection its resume position in the `connected` greeting. */
  sync: Pick<SyncService, 'cursorNow'>;
  /** TYPING budget per user, shared by every node; rejects with RATE_LIMITED. */
  typingQuota: { consume(userId: string): Promise<unknown> };
  presence: Presence;
  store: Store;
  logger: Logger;
  /** Counts frames the per-socket rate limit refuses. @default not counted */
  metrics?: Pick<Metrics, 'rateLimited'>;
}

/** What the handlers leave running once a socket is gone. */
export interface SocketHandlers {
  /** Resolves once every disconnect's last-active stamp is written (or has failed). */
  stampsWritten(): Promise<void>;
}

/**
 * Authenticates handshakes and runs every incoming event through the command handler. What an
 * idle connection costs is what Socket.IO keeps for it plus a few map entries: the listeners are
 * shared by every socket (called with the socket as `this`), and what a socket needs only once it
 * is active (its rate gate, its child logger) is made then.
 */
export function attachSocketHandlers(io: ParleyServer, deps: SocketHandlerDeps): SocketHandlers {
  const { config, auth, commands, sync, typingQuota, presence, store, logger, metrics } = deps;
  /** Last-active stamps of disconnects, not written yet: a draining node waits for them. */
  const stamping = new Set<Promise<void>>();
  /** Each handshake's token expiry, read once its connection is established. */
  const expiries = new WeakMap<ParleySocket, Date | null>();
  io.use((socket, next) => {
    const { auth: handshakeAuth, query } = socket.handshake;
    const fromAuth = (handshakeAuth as { token?: unknown }).token;
    const token =
      typeof fromAuth === 'string'
        ? fromAuth
        : typeof query.token === 'string'
          ? query.token
          : null;
    // The credential is not kept for the connection's lifetime (~0.2 KiB each, and a copy of a
    // secret nothing reads again). Overwritten rather than deleted: the object keeps its shape.
    if (typeof fromAuth === 'string') (handshakeAuth as { token?: unknown }).token = undefined;
    const handedOver = takeHandedOver(socket.conn);
    (handedOver ? Promise.resolve(handedOver) : auth.authenticateWithExpiry(token)).then(
      ({ user, expiresAt }) => {
        socket.data.userId = user.id;
        socket.data.username = user.username;
        socket.data.avatarUrl = user.avatarUrl;
        expiries.set(socket, expiresAt);
        next();
      },
      (err: unknown) => {
        // A token that could not be checked (store down) is not a bad token: say so, retryably.
        if (isUnavailable(err)) {
          next(
            Object.assign(new Error(UNAVAILABLE_REFUSAL), {
              data: { code: 'UNAVAILABLE', retryAfterMs: err.retryAfterMs ?? 1000 },
            }),
          );
        } else {
          next(new Error('unauthorized'));
        }
      },
    );
  });

  // Made on first use: most sockets never log, and a child logger is ~0.4 KiB per connection.
  const loggers = new WeakMap<ParleySocket, Logger>();
  const socketLog = (socket: ParleySocket): Logger => {
    let log = loggers.get(socket);
    if (!log) {
      log = logger.child({ userId: socket.data.userId, socketId: socket.id });
      loggers.set(socket, log);
    }
    return log;
  };

  // Made on a socket's first frame: a gate starts full, as one made at connect would be by then.
  const gates = new WeakMap<ParleySocket, FrameGate>();
  const gateOf = (socket: ParleySocket): FrameGate => {
    let gate = gates.get(socket);
    if (!gate) {
      gate = new FrameGate(config.limits);
      gates.set(socket, gate);
    }
    return gate;
  };

  const expiry = new ExpirySchedule<ParleySocket>((socket) => {
    try {
      socketLog(socket).info('closing a socket whose token expired');
      closeUnauthorized(socket);
    } catch (err) {
      socketLog(socket).error({ err }, 'closing a socket whose token expired failed');
    }
  });

  // Raw sockets bound their own buffer in the bridge; this watches engine.io's.
  const buffers = new OutgoingBufferBound(config.limits.maxSocketBufferBytes, (conn, bytes) => {
    // Rare: finding the socket by its connection beats a reference kept for every socket.
    let log = logger;
    for (const socket of io.of('/').sockets.values()) {
      if (socket.conn !== conn) continue;
      log = socketLog(socket);
      break;
    }
    log.warn({ bytes }, 'dropping a socket that does not read');
    dropConnection(conn);
  });

  // The greeting carries a SYNC cursor at this moment, so a client can later resume exactly.
  // It is the connection's first frame: the socket joins the user's room (and so hears what is
  // fanned out to them) only once it went out; anything sent to the user since the cursor was
  // taken is what SYNC {since: cursor} returns.
  const greet = (socket: ParleySocket, cursor: string | null): void => {
    if (!socket.connected) return;
    const { userId } = socket.data;
    socket.emit('connected', {
      message: 'Connected to notification and message stream',
      user_id: userId,
      cursor,
    });
    void socket.join(userRoom(userId));
  };

  /** Transport-level frames first (REFRESH_TOKEN, the TYPING budget), then the commands. */
  const run = async (
    socket: ParleySocket,
    event: string,
    payload: unknown,
  ): Promise<ServerFrame | null> => {
    const { userId, username, avatarUrl } = socket.data;
    if (event === 'REFRESH_TOKEN') {
      return refreshToken(
        auth,
        (expiresAt) => {
          expiry.schedule(socket, expiresAt);
        },
        userId,
        payload,
      );
    }
    if (event === 'TYPING') await typingQuota.consume(userId);
    return commands.execute(event, payload, { userId, username, avatarUrl, socketId: socket.id });
  };

  const onFrame = (socket: ParleySocket, event: string, args: unknown[]): void => {
    const last = args[args.length - 1];
    const ack =
      typeof last === 'function' ? (args.pop() as (reply: ServerFrame) => void) : undefined;
    const payload = args[0];
    const reply = (f: ServerFrame): void => {
      if (ack) ack(f);
      else emitFrame(socket, f);
    };
    // A raw socket's frames passed the same gate and depth check in the bridge, on their bytes.
    if (!rawConnectionOf(socket) && !admitted(socket, payload, args, reply)) return;
    run(socket, event, payload)
      .then(
        (result) => {
          if (result) reply(result);
          else if (ack) ack(frame('OK', {}));
        },
        (err: unknown) => {
          // Transport-level refusals (REFRESH_TOKEN, the TYPING budget) echo the tempId too.
          reply(errorFrame(err, tempIdOf(payload), socketLog(socket)));
        },
      )
      .catch((err: unknown) => {
        dropBroken(socket, socketLog(socket), err);
      });
  };

  /** The per-socket rate limit and the size and depth limits; false when the frame was refused. */
  const admitted = (
    socket: ParleySocket,
    payload: unknown,
    args: unknown[],
    reply: (f: ServerFrame) => void,
  ): boolean => {
    // socket.io-parser already decoded the payload; measure its depth (iteratively) before
    // anything recursive, such as the size check below, walks it.
    const tooDeep = args.some((arg) => valueTooDeep(arg));
    const verdict = gateOf(socket).admit(tooDeep ? 0 : frameBytes(payload));
    if (!verdict.pass) {
      if (verdict.error.code === 'RATE_LIMITED') metrics?.rateLimited('frames');
      reply(errorFrame(verdict.error));
      if (verdict.disconnect) {
        socketLog(socket).warn('disconnecting a flooding socket');
        socket.disconnect(true);
      }
      return false;
    }
    if (tooDeep) {
      reply(errorFrame(new AppError('VALIDATION', tooDeepMessage('frames'))));
      return false;
    }
    return true;
  };

  /** Every incoming event of every socket (Socket.IO calls it with the socket as `this`). */
  function onAnyFrame(this: ParleySocket, event: string, ...args: unknown[]): void {
    // One client's frame must never take the node down: a handler that throws closes only
    // the socket that sent it.
    try {
      onFrame(this, event, args);
    } catch (err) {
      dropBroken(this, socketLog(this), err);
    }
  }

  /** Every socket's disconnect (an EventEmitter listener: the socket is `this`). */
  function onDisconnect(this: ParleySocket): void {
    left(this);
  }

  const left = (socket: ParleySocket): void => {
    const { userId } = socket.data;
    expiry.clear(socket);
    if (!rawConnectionOf(socket)) buffers.unwatch(socket.conn);
    presence.removeSocket(userId, socket.id).catch((err: unknown) => {
      socketLog(socket).warn({ err }, 'presence remove failed');
    });
    const stamp = store
      .setUserLastActive(userId, new Date())
      .catch((err: unknown) => {
        socketLog(socket).warn({ err }, 'last-active update failed');
      })
      .finally(() => stamping.delete(stamp));
    stamping.add(stamp);
  };

  io.on('connection', (socket) => {
    const { userId } = socket.data;
    presence.addSocket(userId, socket.id).catch((err: unknown) => {
      socketLog(socket).warn({ err }, 'presence add failed');
    });
    sync.cursorNow(userId).then(
      (cursor) => {
        greet(socket, cursor);
      },
      (err: unknown) => {
        socketLog(socket).warn({ err }, 'sync cursor for the greeting failed');
        greet(socket, null);
      },
    );
    if (!rawConnectionOf(socket)) buffers.watch(socket.conn);
    socket.onAny(onAnyFrame);
    rawConnectionOf(socket)?.adopt(socket);
    socket.on('disconnect', onDisconnect);
    // Last: a token that expired since the handshake closes the socket at once, and its
    // disconnect must find the listener above.
    expiry.schedule(socket, expiries.get(socket) ?? null);
    expiries.delete(socket);
  });

  return {
    stampsWritten: async () => {
      await Promise.all(stamping);
    },
  };
}

/** Token expired: ERROR UNAUTHORIZED, then close (raw clients get close code 4001). */
function closeUnauthorized(socket: ParleySocket): void {
  emitFrame(socket, errorFrame(new AppError('UNAUTHORIZED', 'token expired')));
  const raw = rawConnectionOf(socket);
  if (raw) raw.closeWith(4001, 'unauthorized');
  else socket.disconnect(true);
}

/** The bridge's connection under a raw-WebSocket client's socket; null for Socket.IO clients. */
export function rawConnectionOf(socket: ParleySocket): RawEngineConnection | null {
  const conn: unknown = socket.conn;
  return conn instanceof RawEngineConnection ? conn : null;
}

function dropBroken(socket: ParleySocket, log: Logger, err: unknown): void {
  log.error({ err }, 'closing a socket whose frame broke its handler');
  socket.disconnect(true);
}

/** Sends a frame as an event: name = type, payload = the rest. */
export function emitFrame(socket: ParleySocket, f: ServerFrame): void {
  const { type, ...payload } = f;
  const raw = rawConnectionOf(socket);
  // As a raw client gets an event: its type first, then the payload.
  if (raw) raw.writeFrame({ type, ...payload });
  else (socket.emit as (event: string, payload: unknown) => boolean)(type, payload);
}

function frameBytes(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(payload));
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
