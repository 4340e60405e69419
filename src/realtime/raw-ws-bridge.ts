// The raw WebSocket endpoint (/api/v1/ws): JSON frames in and out, backed by a Socket.IO socket.
// Frames are validated here before they reach Socket.IO's parser (bad input would close the
// connection there); outgoing Socket.IO packets are translated back into JSON frames.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AuthService } from '../app/auth-service';
import { errorFrame } from '../app/command-handler';
import type { Config } from '../config';
import { isUnavailable } from '../domain/errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ServerFrame } from '../protocol/frames';
import { FrameGate } from './frame-gate';
import { handOver } from './handshake-users';
import { RawEngineConnection } from './raw-engine-connection';
import {
  connectPacket,
  eventPacket,
  noAckPacket,
  readClientFrame,
  readServerPacket,
  serverEventFrame,
  type JsonFrame,
} from './raw-ws-codec';
import { hardFrameLimit } from './socket-server';
import type { ParleyServer } from './socket-server';
import { coalesceWrites } from './write-coalescer';

export { isRawNoAck, RAW_NO_ACK } from './raw-ws-codec';

export const RAW_WS_PATH = '/api/v1/ws';

/** Frames accepted before the Socket.IO handshake finishes; more is a misbehaving client. */
const MAX_PENDING_FRAMES = 100;
const MAX_PENDING_BYTES = 1024 * 1024;

const frameSize = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
const frameBytes = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
/** The TCP socket under a WebSocket (ws keeps it in `_socket`, absent once closed). */
const tcpOf = (ws: WebSocket): Writable | undefined =>
  (ws as unknown as { _socket?: Writable })._socket;
const HEARTBEAT_MS = 25_000;
/** How long close() waits for clients to answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1000;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface RawBridgeDeps {
  httpServer: HttpServer;
  io: ParleyServer;
  auth: AuthService;
  config: Pick<Config, 'limits'>;
  logger: Logger;
  /** Counts frames the per-socket rate limit refuses. @default not counted */
  metrics?: Pick<Metrics, 'rateLimited'>;
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

/**
 * A refused handshake: 4001 when the token is bad; 1013 (try again later) when it could not be
 * checked because a dependency is down — the client must not take that for a bad token.
 */
function closeRefused(ws: WebSocket, unavailable: boolean): void {
  if (unavailable) ws.close(1013, 'unavailable; retry shortly');
  else ws.close(4001, 'unauthorized');
}

export function attachRawWebSocket(deps: RawBridgeDeps): RawBridge {
  const { httpServer, io, auth, config, logger, metrics } = deps;
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

  // One for the bridge: its bindings are the same for every connection.
  const log = logger.child({ transport: 'raw-ws' });

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const pending: RawData[] = [];
    let pendingBytes = 0;
    let conn: RawEngineConnection | null = null;
    let connected = false;
    let alive = true;
    const gate = new FrameGate(config.limits);

    const sendText = (text: string): void => {
      if (ws.readyState !== ws.OPEN) return;
      // A client that stopped reading is cut off, discarding its backlog: a close handshake
      // would wait behind the very bytes it does not read.
      if (ws.bufferedAmount > config.limits.maxSocketBufferBytes) {
        log.warn({ bytes: ws.bufferedAmount }, 'dropping a raw socket that does not read');
        ws.terminate();
        return;
      }
      coalesceWrites(tcpOf(ws));
      ws.send(text);
    };
    const send = (f: ServerFrame | JsonFrame): void => {
      sendText(JSON.stringify(f));
    };
    /** A raw client cannot answer Socket.IO acks; say so at once so nobody waits on it. */
    const refuseAck = (ackId: number | undefined): void => {
      if (ackId !== undefined) conn?.receive(noAckPacket(ackId));
    };

    /** One client's input (or a frame to it) must never take the node down: close just this one. */
    const dropBroken = (err: unknown): void => {
      log.error({ err }, 'closing a raw socket whose frame broke its handler');
      ws.close(1011, 'internal error');
    };

    const handleFrame = (data: RawData): void => {
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
        if (verdict.error.code === 'RATE_LIMITED') metrics?.rateLimited('frames');
        send(errorFrame(verdict.error));
        if (verdict.disconnect) ws.close(1008, 'flood');
        return;
      }
      const read = readClientFrame(frameBytes(data));
      if (!read.ok) {
        send(errorFrame(read.error, read.tempId));
        return;
      }
      // Only known event names and bounded plain JSON reach the socket (or socket.io's parser).
      if (!conn.deliverFrame(read.type, read.payload))
        conn.receive(eventPacket(read.type, read.payload));
    };

    const onFrame = (data: RawData): void => {
      try {
        handleFrame(data);
      } catch (err) {
        dropBroken(err);
      }
    };

    const handlePacket = (packet: string): void => {
      // The events every message brings, straight to their frame text.
      const event = serverEventFrame(packet);
      if (event) {
        sendText(event.text);
        refuseAck(event.ackId);
        return;
      }
      const decoded = readServerPacket(packet);
      switch (decoded.kind) {
        case 'connected':
          connected = true;
          for (const data of pending.splice(0)) onFrame(data);
          break;
        case 'frame':
          send(decoded.frame);
          refuseAck(decoded.ackId);
          break;
        case 'refused':
          closeRefused(ws, decoded.unavailable);
          break;
        case 'disconnected':
          ws.close(1000, 'disconnected');
          break;
        case 'ignored':
          break;
      }
    };

    const onServerFrame = (f: { type: string }): void => {
      try {
        send(f);
      } catch (err) {
        dropBroken(err);
      }
    };

    const onPacket = (packet: string): void => {
      try {
        handlePacket(packet);
      } catch (err) {
        dropBroken(err);
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
    auth.authenticateWithExpiry(token).then(
      (authenticated) => {
        if (ws.readyState !== ws.OPEN) return;
        conn = new RawEngineConnection(ws, req, onPacket, onServerFrame);
        // Checked once: the Socket.IO handshake below takes the user over.
        handOver(conn, authenticated);
        io.engine.emit('connection', conn);
        conn.receive(connectPacket({ token }));
      },
      (err: unknown) => {
        closeRefused(ws, isUnavailable(err));
      },
    );
  }

  return {
    close: async () => {
      httpServer.off('upgrade', onUpgrade);
      // A drain has closed every connected socket already (1012); what is left is shut here.
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      const closed = new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
      // wss.close waits for every client's close handshake; one that never answers is cut off.
      const grace = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
