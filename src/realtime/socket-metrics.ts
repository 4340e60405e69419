// The realtime side of the metrics: open connections by transport, counted at each scrape. Raw
// WebSocket clients are Socket.IO sockets too (raw-engine-connection.ts), so one look at the
// Socket.IO server covers every transport. (NEW_MESSAGE frames written are counted where they are
// written, in local-delivery.ts: a listener on every socket would cost each idle connection.)
import type { ConnectionTransport, Metrics } from '../observability/metrics';
import { RawEngineConnection } from './raw-engine-connection';
import type { ParleyServer, ParleySocket } from './socket-server';

export function instrumentSocketServer(
  io: ParleyServer,
  metrics: Pick<Metrics, 'countConnectionsWith'>,
): void {
  metrics.countConnectionsWith(() => {
    const counts: Record<ConnectionTransport, number> = { websocket: 0, polling: 0, raw: 0 };
    for (const socket of io.of('/').sockets.values()) counts[transportOf(socket)] += 1;
    return counts;
  });
}

function transportOf(socket: ParleySocket): ConnectionTransport {
  const conn: unknown = socket.conn;
  if (conn instanceof RawEngineConnection) return 'raw';
  // Socket.IO reports the transport in use now: a polling client that upgraded counts as websocket.
  return socket.conn.transport.name === 'polling' ? 'polling' : 'websocket';
}
