// Bounds what a Socket.IO connection may have queued for a client that stopped reading: engine.io
// keeps packets in its write buffer while the transport is busy and the WebSocket keeps bytes the
// kernel would not take, both without limit. Past the bound the connection is cut off.
import type { Socket } from 'socket.io';

/** engine.io's connection under a Socket.IO socket. */
type EngineSocket = Socket['conn'];

/** The parts of engine.io's WebSocket transport read here (private in its typings). */
interface WsTransportInternals {
  socket?: { bufferedAmount?: unknown; terminate?: unknown };
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
 * Watches `conn` and calls `onOverflow` once when its unsent bytes pass `maxBytes`: packets in
 * engine.io's write buffer (counted as they are created, reset when flushed to the transport)
 * plus the WebSocket's own `bufferedAmount`. Returns the stop function.
 */
export function boundOutgoingBuffer(
  conn: EngineSocket,
  maxBytes: number,
  onOverflow: (queuedBytes: number) => void,
): () => void {
  let queued = 0;
  let tripped = false;
  const onPacket = (packet: EnginePacket): void => {
    queued += packetBytes(packet);
    const ws = (conn.transport as unknown as WsTransportInternals).socket;
    const inSocket = typeof ws?.bufferedAmount === 'number' ? ws.bufferedAmount : 0;
    if (!tripped && queued + inSocket > maxBytes) {
      tripped = true;
      onOverflow(queued + inSocket);
    }
  };
  const onFlush = (): void => {
    queued = 0;
  };
  conn.on('packetCreate', onPacket);
  conn.on('flush', onFlush);
  return () => {
    conn.off('packetCreate', onPacket);
    conn.off('flush', onFlush);
  };
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
