// The realtime side of the metrics: open connections by transport (counted at each scrape) and
// NEW_MESSAGE frames written to this node's sockets. Raw WebSocket clients are Socket.IO sockets
// too (raw-engine-connection.ts), so one watch on the Socket.IO server covers every transport.
import type { ConnectionTransport, Metrics } from '../observability/metrics';
import { RawEngineConnection } from './raw-engine-connection';
import type { ParleyServer, ParleySocket } from './socket-server';

export function instrumentSocketServer(io: ParleyServer, metrics: Metrics): void {
  metrics.countConnectionsWith(() => {
    const counts: Record<ConnectionTransport, number> = { websocket: 0, polling: 0, raw: 0 };
    for (const socket of io.of('/').sockets.values()) counts[transportOf(socket)] += 1;
    return counts;
  });
  io.on('connection', (socket) => {
    // Called for direct emits and for broadcasts from any node that reach this socket.
    socket.onAnyOutgoing((event: string) => {
      if (event === 'NEW_MESSAGE') metrics.messagesDelivered();
    });
  });
}

function transportOf(socket: ParleySocket): ConnectionTransport {
  const conn: unknown = socket.conn;
  if (conn instanceof RawEngineConnection) return 'raw';
  // Socket.IO reports the transport in use now: a polling client that upgraded counts as websocket.
  return socket.conn.transport.name === 'polling' ? 'polling' : 'websocket';
}
