// A raw WebSocket dressed as an Engine.IO connection, so Socket.IO adopts it as a normal socket:
// rooms, the adapter and cross-node emits then reach raw clients exactly as socket.io clients.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';

/** What a frame needs of the Socket.IO socket made for the connection: its catch-all listeners. */
export interface FrameListeners {
  readonly connected: boolean;
  listenersAny(): ((...args: unknown[]) => void)[];
}

/** The subset of engine.io's Socket that socket.io's Client uses. */
export class RawEngineConnection extends EventEmitter {
  readonly id = randomBytes(15).toString('base64url');
  readonly protocol = 4;
  readonly remoteAddress: string;
  readyState: 'open' | 'closing' | 'closed' = 'open';
  readonly transport: { name: string; readonly writable: boolean };
  /** The socket Socket.IO made for this connection, once its handlers are attached. */
  private socket: FrameListeners | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly request: IncomingMessage,
    /** Receives every Socket.IO packet the server writes to this connection. */
    private readonly onPacket: (packet: string) => void,
    /** Writes one JSON frame to the client (writeFrame). */
    private readonly onFrame: (frame: { type: string }) => void,
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

  /**
   * A frame for this one client, written as its JSON text at once: the text the client would get
   * through socket.emit, without Socket.IO encoding a packet only for the bridge to cut the frame
   * back out of it. Only for what goes to this socket alone (room broadcasts go through the
   * adapter); written at once, in order with the packets Socket.IO writes, as its emits are.
   */
  writeFrame(frame: { type: string }): void {
    if (this.readyState === 'open') this.onFrame(frame);
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

  /** The socket's handlers are attached: from now on frames go to them directly (deliverFrame). */
  adopt(socket: FrameListeners): void {
    this.socket = socket;
  }

  /**
   * Hands one validated client frame to the socket's listeners, as Socket.IO would once it had
   * decoded the frame's EVENT packet: the bridge has the frame parsed already, and encoding it
   * only for Socket.IO to parse it again cost more than the rest of the frame's way in. False
   * (nothing done) until the socket is adopted; the caller then feeds the packet instead.
   */
  deliverFrame(type: string, payload: Record<string, unknown>): boolean {
    const { socket } = this;
    if (!socket) return false;
    if (this.readyState !== 'open' || !socket.connected) return true;
    for (const listener of socket.listenersAny()) listener.call(socket, type, payload);
    return true;
  }

  /** The WebSocket is gone: tell socket.io so it runs its disconnect path. */
  closed(reason: string): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.emit('close', reason);
  }
}
