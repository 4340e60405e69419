// Receipts: moving a participant's seen and delivered watermarks forward, and publishing the
// events the fan-out turns into MESSAGE_SEEN / MESSAGE_STATUS.
import type { Watermark } from '../domain/types';
import type { SeenResult } from '../protocol/rest';
import type { Clock, EventBus, Store, WatermarkMove } from '../ports';
import { requireMembership, requireMessageIn } from './access';
import { iso } from './views';

export class ReceiptService {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock }) {}

  /**
   * Moves the reader's seen watermark forward (an older id is a no-op) and delivered with it.
   * Without a message id, the conversation's latest message is meant.
   */
  async markSeen(
    userId: string,
    conversationId: string,
    messageId: string | undefined,
  ): Promise<SeenResult> {
    const { store } = this.deps;
    const { participant } = await requireMembership(store, conversationId, userId);
    const target = messageId
      ? await requireMessageIn(store, conversationId, messageId, 'invalid')
      : (await store.listMessagesBefore(conversationId, null, 1))[0];
    let move: WatermarkMove = { moved: false, previous: participant.seen };
    let seen = participant.seen;
    if (target) {
      const mark = { messageId: target.id, createdAt: target.createdAt };
      const now = this.deps.clock();
      move = await store.advanceWatermark(conversationId, userId, 'seen', mark, now);
      // Where the watermark stands now, without reading it back.
      seen = move.moved ? mark : move.previous;
      // Seeing a message implies a device has it; in a group that can make messages DELIVERED.
      const delivered = await store.advanceWatermark(
        conversationId,
        userId,
        'delivered',
        mark,
        now,
      );
      if (delivered.moved)
        await this.publishDelivered(conversationId, userId, target.id, delivered.previous);
    }
    const unread = await store.countMessagesAfter(
      conversationId,
      seen && { createdAt: seen.createdAt, id: seen.messageId },
      userId,
    );
    if (move.moved && seen) {
      await this.deps.bus.publish({
        key: 'message.seen',
        payload: {
          conversation_id: conversationId,
          user_id: userId,
          message_id: seen.messageId,
          previous_message_id: move.previous?.messageId ?? null,
          timestamp: iso(this.deps.clock()),
        },
      });
    }
    return {
      conversation_id: conversationId,
      last_seen_message_id: seen?.messageId ?? null,
      unread_count: unread,
    };
  }

  /** A device of `userId` confirmed it has the message; true when the watermark moved. */
  async markDelivered(userId: string, conversationId: string, messageId: string): Promise<boolean> {
    const { store } = this.deps;
    await requireMembership(store, conversationId, userId);
    const target = await requireMessageIn(store, conversationId, messageId, 'invalid');
    const { moved, previous } = await store.advanceWatermark(
      conversationId,
      userId,
      'delivered',
      { messageId: target.id, createdAt: target.createdAt },
      this.deps.clock(),
    );
    if (moved) await this.publishDelivered(conversationId, userId, target.id, previous);
    return moved;
  }

  private publishDelivered(
    conversationId: string,
    userId: string,
    messageId: string,
    previous: Watermark | null,
  ): Promise<void> {
    return this.deps.bus.publish({
      key: 'message.delivered',
      payload: {
        conversation_id: conversationId,
        user_id: userId,
        message_id: messageId,
        previous_message_id: previous?.messageId ?? null,
        timestamp: iso(this.deps.clock()),
      },
    });
  }
}
