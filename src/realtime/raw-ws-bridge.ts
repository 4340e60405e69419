// The raw WebSocket endpoint (/api/v1/ws): JSON frames in and out, backed by a Socket.IO socket.
// Frames are validated here before they reach Socket.IO's parser (bad input would close the
// connection there); outgoing Socket.IO packets are translated back into JSON frames.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AuthService } from '../app/auth-service';
import { errorFrame } from '../app/command-handler';
import type { Config } from '../config';
import { AppError } from '../domain/errors';
import type { Logger } from '../observability/logger';
import { isClientFrameType, type ServerFrame } from '../protocol/frames';
import { FrameGate } from './frame-gate';
import { RawEngineConnection } from './raw-engine-connection';
import { hardFrameLimit } from './socket-server';
import type { ParleyServer } from './socket-server';

export const RAW_WS_PATH = '/api/v1/ws';

/** What a raw socket answers to a Socket.IO acknowledgement request: "I cannot acknowledge". */
export const RAW_NO_ACK = { parleyRawSocket: true } as const;
export const isRawNoAck = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  (value as { parleyRawSocket?: unknown }).parleyRawSocket === true;

/** Frames accepted before the Socket.IO handshake finishes; more is a misbehaving client. */
const MAX_PENDING_FRAMES = 100;
const MAX_PENDING_BYTES = 1024 * 1024;

const frameSize = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
/** Unsent bytes after which a client that does not read is cut off (no unbounded buffers). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 25_000;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface RawBridgeDeps {
  httpServer: HttpServer;
  io: ParleyServer;
  auth: AuthService;
  config: Pick<Config, 'limits'>;
  logger: Logger;
}

export interface RawBridge {
  close(): Promise<void>;
}

/** The token of a raw connection: `?token=`, `Authorization: Bearer`, or a JWT-shaped subprotocol. */
function tokenOf(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer?.[1]) return bearer[1];
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return protocols.find((p) => JWT_SHAPE.test(p)) ?? null;
}

export function attachRawWebSocket(deps: RawBridgeDeps): RawBridge {
  const { httpServer, io, auth, config, logger } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    // Frames up to this are read and answered FRAME_TOO_LARGE; bigger ones close (1009), the same
    // hard bound as the Socket.IO transport, so memory per frame stays bounded.
    maxPayload: hardFrameLimit(config.limits.maxFrameBytes),
    handleProtocols: (protocols) =>
      [...protocols].find((p) => !JWT_SHAPE.test(p)) ?? [...protocols][0] ?? false,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== RAW_WS_PATH && pathname !== `${RAW_WS_PATH}/`) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, req);
    });
  };
  httpServer.on('upgrade', onUpgrade);

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const log = logger.child({ transport: 'raw-ws' });
    const pending: RawData[] = [];
    let pendingBytes = 0;
    let conn: RawEngineConnection | null = null;
    let connected = false;
    let alive = true;
    const gate = new FrameGate(config.limits);

    const send = (f: ServerFrame): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        log.warn('closing a raw socket that does not read');
        ws.close(1013, 'too slow');
        return;
      }
      ws.send(JSON.stringify(f));
    };

    const onFrame = (data: RawData): void => {
      if (!connected || !conn) {
        pendingBytes += frameSize(data);
        if (pending.length >= MAX_PENDING_FRAMES || pendingBytes > MAX_PENDING_BYTES) {
          ws.close(1008, 'too much sent before ready');
        } else {
          pending.push(data);
        }
        return;
      }
      const verdict = gate.admit(frameSize(data));
      if (!verdict.pass) {
        send(errorFrame(verdict.error));
        if (verdict.disconnect) ws.close(1008, 'flood');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(
          Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.concat(data as Buffer[]).toString('utf8'),
        );
      } catch {
        send(errorFrame(new AppError('BAD_FRAME', 'frames must be JSON objects')));
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        send(errorFrame(new AppError('BAD_FRAME', 'frames must be JSON objects with a "type"')));
        return;
      }
      const { type, ...payload } = parsed as Record<string, unknown>;
      if (typeof type !== 'string') {
        send(errorFrame(new AppError('BAD_FRAME', 'frames need a string "type"')));
        return;
      }
      if (!isClientFrameType(type)) {
        const tempId = typeof payload.tempId === 'string' ? payload.tempId : undefined;
        send(
          errorFrame(
            new AppError('UNKNOWN_TYPE', `unknown frame type: ${type.slice(0, 64)}`),
            tempId,
          ),
        );
        return;
      }
      // Only known event names and plain JSON reach socket.io's parser, so it cannot choke.
      conn.receive(`2${JSON.stringify([type, payload])}`);
    };

    const onPacket = (packet: string): void => {
      const kind = packet[0];
      if (kind === '0') {
        connected = true;
        for (const data of pending.splice(0)) onFrame(data);
      } else if (kind === '2') {
        const match = /^2(\d*)(\[[\s\S]*\])$/.exec(packet);
        if (!match) return;
        const [event, payload] = JSON.parse(match[2] ?? '[]') as [
          string,
          Record<string, unknown> | undefined,
        ];
        send({ type: event, ...(payload ?? {}) } as ServerFrame);
        // A raw client cannot answer Socket.IO acks; say so at once so nobody waits on it.
        if (match[1]) conn?.receive(`3${match[1]}${JSON.stringify([RAW_NO_ACK])}`);
      } else if (kind === '4') {
        ws.close(4001, 'unauthorized');
      } else if (kind === '1') {
        ws.close(1000, 'disconnected');
      }
    };

    ws.on('message', onFrame);
    ws.on('pong', () => {
      alive = true;
    });
    const heartbeat = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    ws.on('close', () => {
      clearInterval(heartbeat);
      conn?.closed('transport close');
    });
    ws.on('error', (err) => {
      log.debug({ err }, 'raw socket error');
    });

    const token = tokenOf(req);
    auth.authenticate(token).then(
      () => {
        if (ws.readyState !== ws.OPEN) return;
        conn = new RawEngineConnection(ws, req, onPacket);
        io.engine.emit('connection', conn);
        conn.receive(`0${JSON.stringify({ token })}`);
      },
      () => {
        ws.close(4001, 'unauthorized');
      },
    );
  }

  return {
    close: async () => {
      httpServer.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}
