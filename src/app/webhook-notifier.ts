// The `message.created` webhook use case (docs/PROTOCOL.md §5.16): from a `message.sent` event, who
// to notify (offline, unmuted recipients) and the notification's body; sending is an adapter's.
import { webhookDeliveryId } from '../domain/ids';
import { aggregateStatus } from '../domain/receipts';
import type { User } from '../domain/types';
import { webhookCandidates } from '../domain/webhooks';
import type { BusPayload } from '../protocol/events';
import { WEBHOOK_EVENT_MESSAGE_CREATED, type MessageCreatedWebhook } from '../protocol/webhooks';
import type { Clock, PresenceReader, Store } from '../ports';
import { carriedMessage, type SenderProfile } from './sent-event';
import { iso, toMessagePublic } from './views';

export interface WebhookNotifierDeps {
  store: Pick<Store, 'findMessage' | 'listParticipants' | 'findConversation' | 'findUsersByIds'>;
  presence: PresenceReader;
  clock: Clock;
}

export class WebhookNotifier {
  constructor(private readonly deps: WebhookNotifierDeps) {}

  /**
   * The notification of a sent message, or null when it notifies nobody (everyone is online,
   * muted, or the sender) or no longer exists. Reads the participants once (mutes are current
   * state); the message only when the event carries none.
   */
  async notificationFor(event: BusPayload<'message.sent'>): Promise<MessageCreatedWebhook | null> {
    const { store, presence, clock } = this.deps;
    const carried = carriedMessage(event);
    const [message, participants] = await Promise.all([
      carried ? Promise.resolve(carried.message) : store.findMessage(event.message_id),
      store.listParticipants(event.conversation_id),
    ]);
    if (!message || message.deletedAt !== null) return null;
    const now = clock();
    const candidates = webhookCandidates(participants, message, now);
    if (candidates.length === 0) return null;
    const online = await presence.onlineAmong(candidates);
    const offline = candidates.filter((id) => !online.has(id));
    if (offline.length === 0) return null;

    const [conversation, users] = await Promise.all([
      store.findConversation(message.conversationId),
      store.findUsersByIds(carried ? offline : [...offline, message.senderId]),
    ]);
    if (!conversation) return null;
    const byId = new Map<string, User>(users.map((u) => [u.id, u]));
    const sender: SenderProfile | undefined = carried?.sender ?? byId.get(message.senderId);
    const recipients = offline.flatMap((id) => {
      const user = byId.get(id);
      return user ? [{ user_id: id, username: user.username }] : [];
    });
    if (recipients.length === 0) return null;
    return {
      id: webhookDeliveryId(message.id),
      type: WEBHOOK_EVENT_MESSAGE_CREATED,
      created_at: iso(now),
      conversation: {
        id: conversation.id,
        type: conversation.type,
        name: conversation.type === 'DIRECT' ? (sender?.username ?? null) : conversation.name,
      },
      recipients,
      message: toMessagePublic(message, sender, aggregateStatus(message, participants)),
    };
  }
}
