// Pins: GROUP admins (either participant of a DIRECT) pin and unpin messages; every current
// participant reads the list and learns each change through `message.pins`, a returning device
// through SYNC. A deleted message is unpinned with its deletion (see `unpinDeleted`).
import { AppError, notAdmin, validationError } from '../domain/errors';
import { MAX_PINS_PER_CONVERSATION, pinId, type Pin } from '../domain/pins';
import type { Message, Participant } from '../domain/types';
import type { PinnedMessage, PinState } from '../protocol/rest';
import type { Clock, EventBus, Store } from '../ports';
import { requireMembership, requireMessageIn } from './access';
import { blockedSendError } from './block-service';
import type { MessageService } from './message-service';
import { iso } from './views';

export class PinService {
  constructor(
    private readonly deps: {
      store: Store;
      bus: EventBus;
      clock: Clock;
      messages: Pick<MessageService, 'views'>;
    },
  ) {}

  /** Pins the message; pinning a pinned message changes nothing (and announces nothing). */
  async pin(callerId: string, conversationId: string, messageId: string): Promise<PinState> {
    const { store, clock } = this.deps;
    const participant = await this.requirePinRights(callerId, conversationId);
    // A blocked DIRECT takes nothing new from either side, pins included (unpinning stays open).
    if (participant.blocked) throw await blockedSendError(store, conversationId, callerId);
    const message = await requireMessageIn(store, conversationId, messageId, 'not-found');
    if (message.deletedAt !== null) throw validationError('a deleted message cannot be pinned');
    const existing = await store.findPin(conversationId, messageId);
    if (existing && existing.unpinnedAt === null)
      return pinState(conversationId, messageId, existing);
    // Bounded list. Two concurrent pins into the last free place may both pass (no transaction):
    // the cap is then exceeded by those few, and the list still shows the newest ones.
    const pinned = await store.listPins(conversationId, MAX_PINS_PER_CONVERSATION);
    if (pinned.length >= MAX_PINS_PER_CONVERSATION) {
      throw new AppError(
        'CONFLICT',
        `at most ${MAX_PINS_PER_CONVERSATION} messages can be pinned in a conversation; unpin one first`,
      );
    }
    const now = clock();
    const pin: Pin = {
      id: pinId(conversationId, messageId),
      conversationId,
      messageId,
      pinnedBy: callerId,
      pinnedAt: now,
      unpinnedAt: null,
      unpinnedBy: null,
      changedAt: now,
    };
    if (!(await store.pinMessage(pin))) {
      // A concurrent pin won: answer the pin as it stands.
      return pinState(conversationId, messageId, await store.findPin(conversationId, messageId));
    }
    await this.publish(pin, true, callerId, now);
    return pinState(conversationId, messageId, pin);
  }

  /** Unpins the message; unpinning one that is not pinned changes nothing. */
  async unpin(callerId: string, conversationId: string, messageId: string): Promise<PinState> {
    const { store, clock } = this.deps;
    await this.requirePinRights(callerId, conversationId);
    await requireMessageIn(store, conversationId, messageId, 'not-found');
    const now = clock();
    if (await store.unpinMessage(conversationId, messageId, callerId, now)) {
      await this.publish({ conversationId, messageId }, false, callerId, now);
    }
    return pinState(conversationId, messageId, await store.findPin(conversationId, messageId));
  }

  /** The conversation's pinned messages, newest pin first (at most the cap); any participant. */
  async list(callerId: string, conversationId: string): Promise<PinnedMessage[]> {
    const { store, messages } = this.deps;
    await requireMembership(store, conversationId, callerId);
    const pins = await store.listPins(conversationId, MAX_PINS_PER_CONVERSATION);
    const found = await Promise.all(pins.map((p) => store.findMessage(p.messageId)));
    // A message deleted while its pin was being written is not shown (its deletion unpins it).
    const shown = pins
      .map((pin, i) => ({ pin, message: found[i] }))
      .filter((x): x is { pin: Pin; message: Message } => !!x.message && !x.message.deletedAt);
    const views = await messages.views(
      conversationId,
      shown.map((x) => x.message),
    );
    return shown.map(({ pin }, i) => ({
      ...(views[i] as PinnedMessage),
      pinned_at: iso(pin.pinnedAt),
      pinned_by: pin.pinnedBy,
    }));
  }

  /** A deleted message leaves the pins list: called once its deletion is stored. */
  async unpinDeleted(userId: string, message: Message): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock();
    if (await store.unpinMessage(message.conversationId, message.id, userId, now)) {
      await this.publish(
        { conversationId: message.conversationId, messageId: message.id },
        false,
        userId,
        now,
      );
    }
  }

  /** GROUP: admins only; DIRECT: either participant. */
  private async requirePinRights(callerId: string, conversationId: string): Promise<Participant> {
    const { conversation, participant } = await requireMembership(
      this.deps.store,
      conversationId,
      callerId,
    );
    if (conversation.type === 'GROUP' && participant.role !== 'ADMIN') throw notAdmin();
    return participant;
  }

  private publish(
    pin: Pick<Pin, 'conversationId' | 'messageId'>,
    pinned: boolean,
    userId: string,
    at: Date,
  ): Promise<void> {
    return this.deps.bus.publish({
      key: 'message.pins',
      payload: {
        conversation_id: pin.conversationId,
        message_id: pin.messageId,
        user_id: userId,
        pinned,
        ...(pinned ? { pinned_at: iso(at) } : { unpinned_at: iso(at) }),
        timestamp: iso(at),
      },
    });
  }
}

function pinState(conversationId: string, messageId: string, pin: Pin | null): PinState {
  const pinned = pin !== null && pin.unpinnedAt === null;
  return {
    conversation_id: conversationId,
    message_id: messageId,
    pinned,
    pinned_at: pinned ? iso(pin.pinnedAt) : null,
    pinned_by: pinned ? pin.pinnedBy : null,
    unpinned_at: !pinned && pin?.unpinnedAt ? iso(pin.unpinnedAt) : null,
  };
}
