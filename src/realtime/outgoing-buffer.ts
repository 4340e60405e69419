// Bounds what a Socket.IO connection may have queued for a client that stopped reading: engine.io
// keeps packets in its write buffer while the transport is busy and the WebSocket keeps bytes the
// kernel would not take, both without limit. Past the bound the connection is cut off.
import type { Writable } from 'node:stream';
import type { Socket } from 'socket.io';
import { coalesceWrites } from './write-coalescer';

/** engine.io's connection under a Socket.IO socket. */
export type EngineSocket = Socket['conn'];

/** The parts of engine.io's WebSocket transport read here (private in its typings). */
interface WsTransportInternals {
  socket?: { bufferedAmount?: unknown; terminate?: unknown; _socket?: Writable };
}

interface EnginePacket {
  data?: unknown;
}

const packetBytes = (packet: EnginePacket): number => {
  const { data } = packet;
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
};

/**
 * Watches connections and calls `onOverflow` once per connection when its unsent bytes pass
 * `maxBytes`: packets in engine.io's write buffer (counted as they are created, reset when
 * flushed to the transport) plus the WebSocket's own `bufferedAmount`. The same two listeners
 * serve every connection, and a connection has a count only while something of it is unflushed,
 * so an idle connection costs nothing here.
 * While watching, the frames one turn of the event loop writes to a connection go out together
 * (write-coalescer).
 */
export class OutgoingBufferBound {
  /** Bytes created since the last flush, for connections that have any. */
  private readonly queued = new WeakMap<EngineSocket, number>();
  private readonly tripped = new WeakSet<EngineSocket>();
  private readonly onPacket: (this: EngineSocket, packet: EnginePacket) => void;
  private readonly onFlush: (this: EngineSocket) => void;

  constructor(
    private readonly maxBytes: number,
    private readonly onOverflow: (conn: EngineSocket, queuedBytes: number) => void,
  ) {
    // engine.io's sockets are EventEmitters: a listener is called with the connection as `this`.
    const queued = this.queued;
    const check = this.check.bind(this);
    this.onPacket = function (packet) {
      const bytes = packetBytes(packet);
      if (bytes > 0) queued.set(this, (queued.get(this) ?? 0) + bytes);
      check(this);
    };
    this.onFlush = function () {
      queued.delete(this);
      // What engine.io held back while the transport was busy goes out now, as one write too.
      coalesceWrites((this.transport as unknown as WsTransportInternals).socket?._socket);
    };
  }

  watch(conn: EngineSocket): void {
    conn.on('packetCreate', this.onPacket);
    conn.on('flush', this.onFlush);
  }

  unwatch(conn: EngineSocket): void {
    conn.off('packetCreate', this.onPacket);
    conn.off('flush', this.onFlush);
    this.queued.delete(conn);
  }

  private check(conn: EngineSocket): void {
    const queued = this.queued.get(conn) ?? 0;
    const ws = (conn.transport as unknown as WsTransportInternals).socket;
    coalesceWrites(ws?._socket);
    const inSocket = typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0;
    if (queued + inSocket > this.maxBytes && !this.tripped.has(conn)) {
      this.tripped.add(conn);
      this.onOverflow(conn, queued + inSocket);
    }
  }
}

/**
 * Drops the connection at once, discarding what is queued: a graceful close would wait for the
 * buffers to drain, which a client that does not read never lets happen.
 */
export function dropConnection(conn: EngineSocket): void {
  const ws = (conn.transport as unknown as WsTransportInternals).socket;
  if (ws && typeof ws.terminate === 'function') {
    (ws.terminate as () => void).call(ws);
  } else {
    conn.close(true);
  }
}
