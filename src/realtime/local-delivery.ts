// Delivery with a receipt, on the node that holds the socket. The fan-out hands a NEW_MESSAGE
// and its recipients to every node (a server-side emit through the adapter, in order with the
// room broadcasts); each node writes it to its own sockets of those users and asks each one to
// acknowledge. The first acknowledgement from any of a recipient's devices is the delivery
// receipt. No cross-node request per recipient, no timer per message. The sender's other devices
// get their copy in the same emit, so a message costs one adapter publish, not two.
import type { Watermark } from '../domain/types';
import type { ServerPayload } from '../protocol/frames';
import { isRawNoAck } from './raw-ws-codec';
import { rawConnectionOf, userRoom, type ParleyServer, type ParleySocket } from './socket-server';

const DELIVER_EVENT = 'parley:deliver';
/**
 * Acknowledgements a socket may owe at once; past it, NEW_MESSAGE goes without asking (that
 * device then confirms with MARK_DELIVERED), so a client that never acknowledges cannot grow
 * the server's callback map without bound.
 */
const MAX_PENDING_ACKS = 256;

type NewMessage = ServerPayload<'NEW_MESSAGE'>;

/** The sender's own copy: every device of theirs but the one that sent it (it got MESSAGE_ACK). */
export interface Echo {
  userId: string;
  exceptSocketId: string | null;
}

export interface LocalDelivery {
  /**
   * NEW_MESSAGE to every device of `recipients` (asking each to acknowledge) and of the echo's
   * user (not asking), on whichever node each device is.
   */
  deliver(recipients: readonly string[], message: NewMessage, echo: Echo): void;
}

/** NEW_MESSAGE without an acknowledgement request; to a raw socket, straight as its frame. */
function emitNewMessage(socket: ParleySocket, message: NewMessage): void {
  const raw = rawConnectionOf(socket);
  if (raw) raw.writeFrame({ type: 'NEW_MESSAGE', ...message });
  else socket.emit('NEW_MESSAGE', message);
}

export function createLocalDelivery(
  io: ParleyServer,
  options: {
    /** True when other nodes share the adapter (server-side emits reach them). */
    clustered: boolean;
    /** A recipient's device acknowledged the message (called once per recipient per node). */
    onDelivered: (
      userId: string,
      conversationId: string,
      mark: Watermark & { senderId: string },
    ) => void;
    /** A NEW_MESSAGE was written to a socket of this node. @default not counted */
    written?: () => void;
  },
): LocalDelivery {
  const pending = new WeakMap<ParleySocket, number>();
  const written = options.written ?? ((): void => undefined);

  const deliverHere = (recipients: readonly string[], message: NewMessage, echo: Echo): void => {
    const nsp = io.of('/');
    for (const id of nsp.adapter.rooms.get(userRoom(echo.userId)) ?? []) {
      const socket = id === echo.exceptSocketId ? undefined : nsp.sockets.get(id);
      if (socket) {
        emitNewMessage(socket, message);
        written();
      }
    }
    for (const userId of recipients) {
      const socketIds = nsp.adapter.rooms.get(userRoom(userId));
      if (!socketIds) continue;
      let confirmed = false;
      const onAck = (socket: ParleySocket, response: unknown): void => {
        pending.set(socket, (pending.get(socket) ?? 1) - 1);
        if (confirmed || isRawNoAck(response)) return;
        confirmed = true;
        options.onDelivered(userId, message.conversationId, {
          messageId: message.messageId,
          seq: message.seq,
          senderId: message.senderId,
        });
      };
      for (const id of socketIds) {
        const socket = nsp.sockets.get(id);
        if (!socket) continue;
        const owed = pending.get(socket) ?? 0;
        written();
        // A raw socket cannot acknowledge (its bridge would only answer "cannot"): it confirms
        // with MARK_DELIVERED, so asking would cost a callback and a packet for nothing.
        if (owed >= MAX_PENDING_ACKS || rawConnectionOf(socket)) {
          emitNewMessage(socket, message);
          continue;
        }
        pending.set(socket, owed + 1);
        socket.emit('NEW_MESSAGE', message, (response: unknown) => {
          onAck(socket, response);
        });
      }
    }
  };

  io.on(DELIVER_EVENT, (delivery) => {
    deliverHere(delivery.recipients, delivery.message, delivery.echo);
  });

  return {
    deliver(recipients, message, echo) {
      deliverHere(recipients, message, echo);
      if (options.clustered)
        io.serverSideEmit(DELIVER_EVENT, { recipients: [...recipients], message, echo });
    },
  };
}
