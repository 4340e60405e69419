// Fan-out: the consumer's handler. Each bus event becomes frames emitted to `user:<id>` rooms;
// the Socket.IO adapter carries them to whichever node holds each socket. What to emit is
// decided in `app` (the sequencer orders messages, ReceiptService computes statuses); this file
// maps the result onto rooms.
import { ArrivalOrder } from '../app/arrival-order';
import type { DeliverySequencer } from '../app/delivery-sequencer';
import type { MessageService } from '../app/message-service';
import type { ReceiptService } from '../app/receipt-service';
import { carriedMessage, type CarriedMessage } from '../app/sent-event';
import { toMessageFrame, toMessagePublic } from '../app/views';
import { aggregateReactions } from '../domain/reactions';
import type { Message, Participant } from '../domain/types';
import type { Logger } from '../observability/logger';
import type { BusEvent } from '../protocol/events';
import type { ServerPayload, ServerFrameType } from '../protocol/frames';
import type { Store } from '../ports';
import type { LocalDelivery } from './local-delivery';
import { userRoom, type ParleyServer } from './socket-server';

export interface FanOutDeps {
  io: ParleyServer;
  store: Store;
  messages: MessageService;
  receipts: ReceiptService;
  sequencer: DeliverySequencer;
  /** NEW_MESSAGE to recipients with a delivery receipt from their devices. */
  delivery: LocalDelivery;
  logger: Logger;
  /** Puts a conversation's message.sent events back in seq order. @default ArrivalOrder */
  arrivals?: ArrivalOrder;
}

export function createFanOut(deps: FanOutDeps): (event: BusEvent) => Promise<void> {
  const { io, store, messages, receipts, sequencer, delivery } = deps;
  const arrivals = deps.arrivals ?? new ArrivalOrder();

  const emit = <K extends ServerFrameType>(
    userIds: readonly string[],
    type: K,
    payload: ServerPayload<K>,
  ): void => {
    if (userIds.length === 0) return;
    const target = io.to(userIds.map(userRoom));
    (target.emit as (event: string, payload: unknown) => boolean)(type, payload);
  };

  const current = (participants: Participant[]): string[] =>
    participants.filter((p) => p.leftAt === null).map((p) => p.userId);

  /** NEW_MESSAGE of a message its event carried, with its audience: no read. */
  const deliverCarried = (
    { message, sender, participantIds }: CarriedMessage,
    origin: { messageId: string; socketId: string | null },
  ): void => {
    // Nobody has it yet: SENT.
    const payload = toMessageFrame(toMessagePublic(message, sender, 'SENT'));
    delivery.deliver(
      participantIds.filter((id) => id !== message.senderId),
      payload,
      { userId: message.senderId, exceptSocketId: origin.socketId },
    );
  };

  /** NEW_MESSAGE of each message, in order, to current participants (the origin socket excluded). */
  const deliver = async (
    batch: Message[],
    origin: { messageId: string; socketId: string | null },
  ): Promise<void> => {
    const first = batch[0];
    if (!first) return;
    const participants = await store.listParticipants(first.conversationId);
    const views = await messages.views(first.conversationId, batch, participants);
    for (const [i, message] of batch.entries()) {
      const view = views[i];
      if (!view) continue;
      const payload = toMessageFrame(view);
      // Its recipients are who were members when it got its seq: a late event (a redelivery, the
      // outbox after an outage) must not reach someone added since.
      const recipients = participants
        .filter((p) => p.leftAt === null && p.joinedSeq < message.seq)
        .map((p) => p.userId)
        .filter((id) => id !== message.senderId);
      // The socket that sent it got MESSAGE_ACK: stored with the message, or known from the event.
      const except =
        message.originSocketId ?? (message.id === origin.messageId ? origin.socketId : null);
      delivery.deliver(recipients, payload, { userId: message.senderId, exceptSocketId: except });
    }
  };

  /**
   * Events of one conversation are fanned out one at a time, in the order this node received
   * them (the consumer runs up to its prefetch of events concurrently). Tails are dropped once
   * idle, so the map stays bounded.
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

  // New messages are put back in seq order on arrival (see ArrivalOrder), then handled in turn.
  return (event: BusEvent): Promise<void> => {
    const conversationId = event.payload.conversation_id;
    if (event.key === 'message.sent')
      return arrivals.admit(conversationId, event.payload.seq, () =>
        inOrder(conversationId, () => handle(event)),
      );
    return inOrder(conversationId, () => handle(event));
  };

  async function handle(event: BusEvent): Promise<void> {
    switch (event.key) {
      case 'message.sent': {
        const p = event.payload;
        const carried = carriedMessage(p);
        const batch = await sequencer.admit(p.conversation_id, p.seq, carried?.message);
        try {
          const origin = { messageId: p.message_id, socketId: p.socket_id ?? null };
          if (carried && batch.length === 1 && batch[0] === carried.message)
            deliverCarried(carried, origin);
          else await deliver(batch, origin);
        } catch (err) {
          // Not emitted: the retried event must get this batch again, not an empty one.
          sequencer.forget(p.conversation_id);
          throw err;
        }
        const last = batch[batch.length - 1];
        if (last) sequencer.emitted(p.conversation_id, last.seq);
        receipts.noteEmitted(p.conversation_id, batch);
        return;
      }
      case 'message.delivered': {
        for (const r of await receipts.statusReports(event.payload, 'DELIVERED')) {
          emit([r.senderId], 'MESSAGE_STATUS', r.frame);
        }
        return;
      }
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
        for (const r of await receipts.statusReports(p, 'SEEN')) {
          emit([r.senderId], 'MESSAGE_STATUS', r.frame);
        }
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
            mentions: message.deletedAt ? [] : message.mentions,
          });
        } else {
          if (message.deletedAt)
            receipts.noteDeleted(message.conversationId, message.id, message.deletedAt);
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
      case 'message.muted': {
        // Only the user's own devices: a mute is nobody else's business.
        const p = event.payload;
        emit([p.user_id], 'CONVERSATION_MUTED', {
          conversationId: p.conversation_id,
          muted: p.muted,
          mutedUntil: p.muted_until,
        });
        return;
      }
      case 'message.pins': {
        // Every current participant: pins are the conversation's, not one user's.
        const p = event.payload;
        const participants = await store.listParticipants(p.conversation_id);
        if (p.pinned) {
          emit(current(participants), 'MESSAGE_PINNED', {
            conversationId: p.conversation_id,
            messageId: p.message_id,
            userId: p.user_id,
            pinnedAt: p.pinned_at ?? p.timestamp,
          });
        } else {
          emit(current(participants), 'MESSAGE_UNPINNED', {
            conversationId: p.conversation_id,
            messageId: p.message_id,
            userId: p.user_id,
            unpinnedAt: p.unpinned_at ?? p.timestamp,
          });
        }
        return;
      }
      case 'message.reactions': {
        // The aggregate read now, not the one the event carries: events of concurrent reactions
        // may be published out of order, and the last frame a client gets must be current.
        const p = event.payload;
        const [participants, records] = await Promise.all([
          store.listParticipants(p.conversation_id),
          store.listReactionsOfMessages([p.message_id]),
        ]);
        emit(current(participants), 'MESSAGE_REACTIONS', {
          conversationId: p.conversation_id,
          messageId: p.message_id,
          seq: p.seq,
          userId: p.user_id,
          emoji: p.emoji,
          action: p.action,
          reactions: aggregateReactions(records, null).map(({ emoji, count }) => ({
            emoji,
            count,
          })),
        });
        return;
      }
      case 'message.typing':
        // Typing never travels through the durable bus; see SocketIoSignals.
        return;
    }
  }
}
