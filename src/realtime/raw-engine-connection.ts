// A raw WebSocket dressed as an Engine.IO connection, so Socket.IO adopts it as a normal socket:
// rooms, the adapter and cross-node emits then reach raw clients exactly as socket.io clients.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';

/** The subset of engine.io's Socket that socket.io's Client uses. */
export class RawEngineConnection extends EventEmitter {
  readonly id = randomBytes(15).toString('base64url');
  readonly protocol = 4;
  readonly remoteAddress: string;
  readyState: 'open' | 'closing' | 'closed' = 'open';
  readonly transport: { name: string; readonly writable: boolean };

  constructor(
    private readonly ws: WebSocket,
    readonly request: IncomingMessage,
    /** Receives every Socket.IO packet the server writes to this connection. */
    private readonly onPacket: (packet: string) => void,
  ) {
    super();
    this.remoteAddress = request.socket.remoteAddress ?? '';
    this.transport = {
      name: 'websocket',
      get writable() {
        return ws.readyState === ws.OPEN;
      },
    };
  }

  /** Called by socket.io's Client with each encoded packet. */
  write(packet: string | Buffer): void {
    if (this.readyState !== 'open') return;
    // Parley never sends binary attachments; a Buffer would be one, and is not representable.
    if (typeof packet === 'string') this.onPacket(packet);
  }

  /** Called by socket.io when it disconnects the socket (server side). */
  close(): void {
    this.closeWith(1000, 'closed by server');
  }

  /**
   * Closes with a close code of Parley's protocol (4001 when the token expired): socket.io's own
   * disconnect can only say "closed", and raw clients act on the code.
   */
  closeWith(code: number, reason: string): void {
    if (this.readyState !== 'open') return;
    this.readyState = 'closing';
    this.ws.close(code, reason);
  }

  /** Feeds one Socket.IO packet from the client side (already validated by the bridge). */
  receive(packet: string): void {
    if (this.readyState === 'open') this.emit('data', packet);
  }

  /** The WebSocket is gone: tell socket.io so it runs its disconnect path. */
  closed(reason: string): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.emit('close', reason);
  }
}
