// Moving a draining node's clients elsewhere (docs/PROTOCOL.md §6.6), on both transports: first
// RECONNECT {retryAfterMs} to every connection, then — once in-flight work is done — the close
// each kind of client reconnects from by itself.
import { frame } from '../protocol/frames';
import { RawEngineConnection } from './raw-engine-connection';
import { emitFrame, type ParleyServer } from './socket-server';

/** The raw close code that means "reconnect, to any node" (1012: service restart). */
export const RESTART_CLOSE_CODE = 1012;

/**
 * Sends RECONNECT to every connection, each with its own `retryAfterMs()` so that the clients
 * of a node do not all arrive at the others in the same instant. Returns how many were told.
 */
export function askClientsToReconnect(io: ParleyServer, retryAfterMs: () => number): number {
  let told = 0;
  for (const socket of io.of('/').sockets.values()) {
    emitFrame(socket, frame('RECONNECT', { retryAfterMs: retryAfterMs() }));
    told++;
  }
  return told;
}

/**
 * Closes every connection so its client reconnects: raw sockets with 1012; Socket.IO ones by
 * closing the transport, which socket.io-client reports as "transport close" and answers by
 * reconnecting with its backoff (a namespace disconnect, "io server disconnect", would make it
 * stay away for good). Resolves once every socket is gone, or after `timeoutMs`.
 */
export async function closeClientsForRestart(io: ParleyServer, timeoutMs: number): Promise<void> {
  const sockets = [...io.of('/').sockets.values()];
  const gone = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.disconnected) resolve();
        else
          socket.once('disconnect', () => {
            resolve();
          });
      }),
  );
  for (const socket of sockets) {
    const conn: unknown = socket.conn;
    if (conn instanceof RawEngineConnection) {
      conn.closeWith(RESTART_CLOSE_CODE, 'server restarting; reconnect');
    } else {
      socket.conn.close();
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(gone),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
