// The Socket.IO server: JWT handshake, one `user:<id>` room per user, presence, and every
// incoming event (from socket.io-client or the raw-WebSocket bridge) run by the command handler.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import type { AuthService } from '../app/auth-service';
import { errorFrame, type CommandHandler } from '../app/command-handler';
import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import {
  frame,
  type ClientToServerEvents,
  type ServerFrame,
  type ServerToClientEvents,
  type SocketData,
} from '../protocol/frames';
import type { Presence, Store } from '../ports';
import { FrameGate } from './frame-gate';

export type ParleyServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

export const userRoom = (userId: string): string => `user:${userId}`;

/**
 * Socket.IO keeps a callback per acknowledgement it asked for until the client answers; a client
 * that never acknowledges NEW_MESSAGE would grow that map forever. Keep only the newest ones.
 */
const MAX_PENDING_ACKS = 256;
const ACK_SWEEP_MS = 30_000;

/** Bounds every local socket's pending-acknowledgement map; returns the stop function. */
export function startAckSweeper(io: ParleyServer): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      // `acks` is private in the typings; its shape (id → callback, in insertion order) is stable.
      const acks = (socket as unknown as { acks?: Map<number, unknown> }).acks;
      if (!acks || acks.size <= MAX_PENDING_ACKS) continue;
      for (const id of [...acks.keys()].slice(0, acks.size - MAX_PENDING_ACKS)) acks.delete(id);
    }
  }, ACK_SWEEP_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

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
  presence: Presence;
  store: Store;
  logger: Logger;
}

/** Authenticates handshakes and runs every incoming event through the command handler. */
export function attachSocketHandlers(io: ParleyServer, deps: SocketHandlerDeps): void {
  const { config, auth, commands, presence, store, logger } = deps;
  io.use((socket, next) => {
    const { auth: handshakeAuth, query } = socket.handshake;
    const fromAuth = (handshakeAuth as { token?: unknown }).token;
    const token =
      typeof fromAuth === 'string'
        ? fromAuth
        : typeof query.token === 'string'
          ? query.token
          : null;
    auth.authenticate(token).then(
      (user) => {
        socket.data.userId = user.id;
        socket.data.username = user.username;
        next();
      },
      () => {
        next(new Error('unauthorized'));
      },
    );
  });

  io.on('connection', (socket) => {
    const { userId, username } = socket.data;
    const log = logger.child({ userId, socketId: socket.id });
    void socket.join(userRoom(userId));
    presence.addSocket(userId, socket.id).catch((err: unknown) => {
      log.warn({ err }, 'presence add failed');
    });
    socket.emit('connected', {
      message: 'Connected to notification and message stream',
      user_id: userId,
    });

    const gate = new FrameGate(config.limits);

    socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack =
        typeof last === 'function' ? (args.pop() as (reply: ServerFrame) => void) : undefined;
      const payload = args[0];
      const reply = (f: ServerFrame): void => {
        if (ack) ack(f);
        else emitFrame(socket, f);
      };
      const verdict = gate.admit(frameBytes(payload));
      if (!verdict.pass) {
        reply(errorFrame(verdict.error));
        if (verdict.disconnect) {
          log.warn('disconnecting a flooding socket');
          socket.disconnect(true);
        }
        return;
      }
      commands.execute(event, payload, { userId, username, socketId: socket.id }).then(
        (result) => {
          if (result) reply(result);
          else if (ack) ack(frame('OK', {}));
        },
        (err: unknown) => {
          log.error({ err }, 'command dispatch failed');
        },
      );
    });

    socket.on('disconnect', () => {
      presence.removeSocket(userId, socket.id).catch((err: unknown) => {
        log.warn({ err }, 'presence remove failed');
      });
      store.setUserLastActive(userId, new Date()).catch((err: unknown) => {
        log.warn({ err }, 'last-active update failed');
      });
    });
  });
}

/** Sends a frame as an event: name = type, payload = the rest. */
export function emitFrame(socket: ParleySocket, f: ServerFrame): void {
  const { type, ...payload } = f;
  (socket.emit as (event: string, payload: unknown) => boolean)(type, payload);
}

function frameBytes(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(payload));
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
