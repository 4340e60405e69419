// Fan-out: the consumer's handler. Each bus event becomes frames emitted to `user:<id>` rooms;
// the Socket.IO adapter carries them to whichever node holds each socket.
import { PacketType } from 'socket.io-parser';
import type { MessageService } from '../app/message-service';
import type { ReceiptService } from '../app/receipt-service';
import { toMessageFrame } from '../app/views';
import { compareKeys } from '../domain/ordering';
import { aggregateStatus } from '../domain/receipts';
import type { Message, MessageStatus, Participant } from '../domain/types';
import type { Logger } from '../observability/logger';
import type { BusEvent, BusPayload } from '../protocol/events';
import type { ServerPayload, ServerFrameType } from '../protocol/frames';
import type { Store } from '../ports';
import { isRawNoAck } from './raw-ws-bridge';
import { userRoom, type ParleyServer } from './socket-server';

/** Most messages one receipt event reports MESSAGE_STATUS for (older ones are implied). */
const MAX_STATUS_UPDATES = 100;
const FIRST_LOOK_BACK = 9;

export interface FanOutDeps {
  io: ParleyServer;
  store: Store;
  messages: MessageService;
  receipts: ReceiptService;
  logger: Logger;
  deliveryAckTimeoutMs: number;
}

export function createFanOut(deps: FanOutDeps): (event: BusEvent) => Promise<void> {
  const { io, store, messages, receipts, logger } = deps;

  const emit = <K extends ServerFrameType>(
    userIds: readonly string[],
    type: K,
    payload: ServerPayload<K>,
    exceptSocket?: string | null,
  ): void => {
    if (userIds.length === 0) return;
    let target = io.to(userIds.map(userRoom));
    if (exceptSocket) target = target.except(exceptSocket);
    (target.emit as (event: string, payload: unknown) => boolean)(type, payload);
  };

  const current = (participants: Participant[]): string[] =>
    participants.filter((p) => p.leftAt === null).map((p) => p.userId);

  /**
   * NEW_MESSAGE to one recipient, asking each of their Socket.IO devices to acknowledge. The first
   * real acknowledgement from any device marks the message delivered to that recipient.
   */
  const emitWithDeliveryAck = (
    recipientId: string,
    message: Message,
    payload: ServerPayload<'NEW_MESSAGE'>,
  ): void => {
    let confirmed = false;
    io.of('/').adapter.broadcastWithAck(
      { type: PacketType.EVENT, data: ['NEW_MESSAGE', payload], nsp: '/' },
      {
        rooms: new Set([userRoom(recipientId)]),
        except: new Set(),
        flags: { timeout: deps.deliveryAckTimeoutMs },
      },
      () => undefined,
      (response: unknown) => {
        if (confirmed || isRawNoAck(response)) return;
        confirmed = true;
        receipts
          .markDelivered(recipientId, message.conversationId, message.id)
          .catch((err: unknown) => {
            logger.warn({ err, messageId: message.id }, 'delivery receipt failed');
          });
      },
    );
  };

  /** MESSAGE_STATUS to senders whose messages in (previous, target] just reached `level`. */
  const reportStatus = async (
    p: BusPayload<'message.seen'> | BusPayload<'message.delivered'>,
    level: MessageStatus,
  ): Promise<void> => {
    const target = await store.findMessage(p.message_id);
    if (!target) return;
    const previous = p.previous_message_id ? await store.findMessage(p.previous_message_id) : null;
    const afterPrevious = (m: Message): boolean =>
      previous === null ||
      compareKeys(
        { createdAt: m.createdAt, id: m.id },
        { createdAt: previous.createdAt, id: previous.id },
      ) > 0;
    // Usually a receipt covers a message or two: look a few back, and further only if needed.
    const targetKey = { createdAt: target.createdAt, id: target.id };
    let earlier = await store.listMessagesBefore(target.conversationId, targetKey, FIRST_LOOK_BACK);
    if (earlier.length === FIRST_LOOK_BACK && earlier.every(afterPrevious)) {
      earlier = await store.listMessagesBefore(
        target.conversationId,
        targetKey,
        MAX_STATUS_UPDATES - 1,
      );
    }
    const covered = [target, ...earlier].filter(
      (m) => m.senderId !== p.user_id && afterPrevious(m),
    );
    if (covered.length === 0) return;
    const participants = await store.listParticipants(target.conversationId);
    for (const m of covered) {
      const status = aggregateStatus(m, participants);
      if (status === level)
        emit([m.senderId], 'MESSAGE_STATUS', {
          messageId: m.id,
          conversationId: m.conversationId,
          status,
        });
    }
  };

  /**
   * Events of one conversation are fanned out one at a time, in the order this node received
   * them, so a client appending NEW_MESSAGEs sees them in order (the consumer runs up to its
   * prefetch of events concurrently). Tails are dropped once idle, so the map stays bounded.
   */
  const tails = new Map<string, Promise<void>>();
  const inOrder = (conversationId: string, work: () => Promise<void>): Promise<void> => {
    const run = (tails.get(conversationId) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => undefined);
    tails.set(conversationId, tail);
    void tail.then(() => {
      if (tails.get(conversationId) === tail) tails.delete(conversationId);
    });
    return run;
  };

  return (event: BusEvent): Promise<void> =>
    inOrder(event.payload.conversation_id, () => handle(event));

  async function handle(event: BusEvent): Promise<void> {
    switch (event.key) {
      case 'message.sent': {
        const p = event.payload;
        const message = await store.findMessage(p.message_id);
        if (!message || message.deletedAt) return;
        const participants = await store.listParticipants(message.conversationId);
        const payload = toMessageFrame(await messages.view(message, participants));
        for (const recipient of current(participants)) {
          if (recipient !== message.senderId) emitWithDeliveryAck(recipient, message, payload);
        }
        emit([message.senderId], 'NEW_MESSAGE', payload, p.socket_id);
        return;
      }
      case 'message.delivered':
        await reportStatus(event.payload, 'DELIVERED');
        return;
      case 'message.seen': {
        const p = event.payload;
        const [participants, reader] = await Promise.all([
          store.listParticipants(p.conversation_id),
          store.findUserById(p.user_id),
        ]);
        const others = current(participants).filter((id) => id !== p.user_id);
        emit(others, 'MESSAGE_SEEN', {
          conversationId: p.conversation_id,
          userId: p.user_id,
          username: reader?.username ?? null,
          lastSeenMessageId: p.message_id,
        });
        await reportStatus(p, 'SEEN');
        return;
      }
      case 'message.updated':
      case 'message.deleted': {
        const p = event.payload;
        const [message, participants] = await Promise.all([
          store.findMessage(p.message_id),
          store.listParticipants(p.conversation_id),
        ]);
        if (!message) return;
        if (event.key === 'message.updated') {
          emit(current(participants), 'MESSAGE_UPDATED', {
            conversationId: message.conversationId,
            messageId: message.id,
            content: message.deletedAt ? null : message.content,
            updatedAt: message.updatedAt?.toISOString() ?? null,
          });
        } else {
          emit(current(participants), 'MESSAGE_DELETED', {
            conversationId: message.conversationId,
            messageId: message.id,
            deletedAt: message.deletedAt?.toISOString() ?? null,
          });
        }
        return;
      }
      case 'message.participants': {
        const p = event.payload;
        const participants = await store.listParticipants(p.conversation_id);
        const audience = [...new Set([...current(participants), ...p.removed])];
        emit(audience, 'PARTICIPANTS_CHANGED', {
          conversationId: p.conversation_id,
          ...(p.added.length > 0 && { added: p.added }),
          ...(p.removed.length > 0 && { removed: p.removed }),
        });
        return;
      }
      case 'message.typing':
        // Typing never travels through the durable bus; see SocketIoSignals.
        return;
    }
  }
}
