// The load generator's clients: lean senders/receivers over raw WebSocket or socket.io-client that
// keep nothing per frame (test/support/realtime-client.ts records every frame, which a bench
// cannot afford). Parley and the baseline relays speak the same Socket.IO events.
import { Agent } from 'node:http';
import { io as connectSocketIo, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export type Transport = 'raw' | 'socket.io';

/** What a client hears; every callback runs on the frame's arrival. */
export interface ClientEvents {
  /** MESSAGE_ACK for a send. */
  acked(tempId: string): void;
  /** ERROR for a send (or for another frame, when `tempId` is null). */
  failed(tempId: string | null, code: string): void;
  /** NEW_MESSAGE: the receiver has it (already confirmed back to the server). */
  delivered(tempId: string | null, conversationId: string): void;
  /** The connection ended without `close()` being called. */
  lost(reason: string): void;
}

export interface ChatClient {
  readonly transport: Transport;
  send(conversationId: string, content: string, tempId: string): void;
  close(): void;
}

/** Who connects where: Parley reads `token`, the relays join `room`. */
export interface Endpoint {
  url: string;
  token: string;
  room: string;
}

export interface ConnectOptions {
  /** Loopback source address (127.0.0.2…), to go past one address's ephemeral ports. */
  localAddress?: string;
  /** A connection not greeted within this fails. @default 15000 */
  timeoutMs?: number;
}

type Frame = Record<string, unknown> & { type?: unknown };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export const NO_EVENTS: ClientEvents = {
  acked: () => undefined,
  failed: () => undefined,
  delivered: () => undefined,
  lost: () => undefined,
};

/** Connects and resolves once the server's `connected` greeting has arrived. */
export function connectChatClient(
  endpoint: Endpoint,
  transport: Transport,
  events: ClientEvents,
  options: ConnectOptions = {},
): Promise<ChatClient> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return transport === 'raw'
    ? connectRaw(endpoint, events, options.localAddress, timeoutMs)
    : connectIo(endpoint, events, options.localAddress, timeoutMs);
}

function connectRaw(
  endpoint: Endpoint,
  events: ClientEvents,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<ChatClient> {
  const url = `${endpoint.url.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(endpoint.token)}`;
  const ws = new WebSocket(url, { ...(localAddress !== undefined && { localAddress }) });
  let closing = false;
  const client: ChatClient = {
    transport: 'raw',
    send: (conversationId, content, tempId) => {
      if (ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ type: 'SEND_MESSAGE', conversationId, content, tempId }));
    },
    close: () => {
      closing = true;
      ws.terminate();
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`raw socket not greeted within ${timeoutMs} ms`));
    }, timeoutMs);
    let greeted = false;
    ws.on('message', (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data)) as Frame;
      switch (frame.type) {
        case 'connected':
          greeted = true;
          clearTimeout(timer);
          resolve(client);
          return;
        case 'MESSAGE_ACK':
          events.acked(text(frame.tempId) ?? '');
          return;
        case 'ERROR':
          events.failed(text(frame.tempId), text(frame.code) ?? 'NO_CODE');
          return;
        case 'NEW_MESSAGE':
          // Raw sockets confirm delivery with a frame (they cannot acknowledge an emit).
          ws.send(
            JSON.stringify({
              type: 'MARK_DELIVERED',
              conversationId: frame.conversationId,
              messageId: frame.messageId,
            }),
          );
          events.delivered(text(frame.tempId), text(frame.conversationId) ?? '');
      }
    });
    ws.on('error', (err) => {
      if (!greeted) {
        clearTimeout(timer);
        reject(err);
      }
    });
    ws.on('close', (code) => {
      if (!greeted) {
        clearTimeout(timer);
        reject(new Error(`raw socket closed ${code} before its greeting`));
      } else if (!closing) events.lost(`close ${code}`);
    });
  });
}

function connectIo(
  endpoint: Endpoint,
  events: ClientEvents,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<ChatClient> {
  const socket: Socket = connectSocketIo(endpoint.url, {
    auth: { token: endpoint.token, room: endpoint.room },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...(localAddress !== undefined && {
      agent: new Agent({ localAddress }) as never,
      localAddress,
    }),
  });
  let closing = false;
  const onReply = (tempId: string) => (reply: Frame | undefined) => {
    if (reply?.type === 'MESSAGE_ACK') events.acked(tempId);
    else events.failed(tempId, text(reply?.code) ?? 'NO_CODE');
  };
  const client: ChatClient = {
    transport: 'socket.io',
    send: (conversationId, content, tempId) => {
      socket.emit('SEND_MESSAGE', { conversationId, content, tempId }, onReply(tempId));
    },
    close: () => {
      closing = true;
      socket.disconnect();
    },
  };
  socket.on('NEW_MESSAGE', (frame: Frame, ack?: (reply: unknown) => void) => {
    // Acknowledging the emit is Socket.IO's delivery confirmation (Parley asks for it).
    ack?.({ ok: true });
    events.delivered(text(frame.tempId), text(frame.conversationId) ?? '');
  });
  socket.on('ERROR', (frame: Frame) => {
    events.failed(text(frame.tempId), text(frame.code) ?? 'NO_CODE');
  });
  return new Promise((resolve, reject) => {
    let greeted = false;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.disconnect();
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(new Error(`socket.io socket not greeted within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connected', () => {
      greeted = true;
      clearTimeout(timer);
      resolve(client);
    });
    socket.once('connect_error', fail);
    socket.on('disconnect', (reason) => {
      if (!greeted) fail(new Error(`socket.io disconnected (${reason}) before its greeting`));
      else if (!closing) events.lost(reason);
    });
  });
}
