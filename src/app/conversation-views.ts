// Read side of conversations: the detail and list views as one caller sees them (names, presence, unread).
import { notFound } from '../domain/errors';
import { muteState } from '../domain/mute';
import { aggregateStatus } from '../domain/receipts';
import type { Conversation, Participant, User } from '../domain/types';
import type { ConversationDetail, ConversationSummary } from '../protocol/rest';
import type { Clock, PresenceReader, Store } from '../ports';
import { iso, isoOrNull, toMessagePublic } from './views';

export interface ConversationViewsDeps {
  store: Store;
  presence: PresenceReader;
  clock: Clock;
}

/** The caller's mute as views show it (`muted` false once its end passed). */
function muteFields(
  me: Participant | undefined,
  now: Date,
): Pick<ConversationSummary, 'muted' | 'muted_until'> {
  const state = me ? muteState(me, now) : { muted: false, mutedUntil: null };
  return { muted: state.muted, muted_until: isoOrNull(state.mutedUntil) };
}

export class ConversationViews {
  constructor(private readonly deps: ConversationViewsDeps) {}

  /** The full view of a conversation as `callerId` sees it. */
  async detail(callerId: string, conversationId: string): Promise<ConversationDetail> {
    const { store, presence } = this.deps;
    const [conversation, participants] = await Promise.all([
      store.findConversation(conversationId),
      store.listParticipants(conversationId),
    ]);
    if (!conversation) throw notFound('conversation');
    const current = participants.filter((p) => p.leftAt === null);
    const me = participants.find((p) => p.userId === callerId);
    const lastMessage = conversation.lastMessageId
      ? await store.findMessage(conversation.lastMessageId)
      : null;
    const userIds = [
      ...new Set([...current.map((p) => p.userId), ...(lastMessage ? [lastMessage.senderId] : [])]),
    ];
    const [users, online, unread, unreadMentions] = await Promise.all([
      store.findUsersByIds(userIds),
      presence.onlineAmong(current.map((p) => p.userId)),
      me ? this.unreadCount(me) : Promise.resolve(0),
      me ? this.unreadMentionCount(me) : Promise.resolve(0),
    ]);
    const byId = new Map(users.map((u) => [u.id, u]));
    const other =
      conversation.type === 'DIRECT' ? current.find((p) => p.userId !== callerId) : undefined;
    const otherUser = other ? byId.get(other.userId) : undefined;
    return {
      id: conversation.id,
      type: conversation.type,
      name: conversation.type === 'DIRECT' ? (otherUser?.username ?? null) : conversation.name,
      avatar_url:
        conversation.type === 'DIRECT' ? (otherUser?.avatarUrl ?? null) : conversation.avatarUrl,
      created_by: conversation.createdBy,
      participants: current.map((p) => ({
        user_id: p.userId,
        username: byId.get(p.userId)?.username ?? null,
        avatar_url: byId.get(p.userId)?.avatarUrl ?? null,
        role: p.role,
        is_online: online.has(p.userId),
        joined_at: iso(p.joinedAt),
      })),
      last_message: lastMessage
        ? toMessagePublic(
            lastMessage,
            byId.get(lastMessage.senderId),
            aggregateStatus(lastMessage, participants),
          )
        : null,
      unread_count: unread,
      unread_mention_count: unreadMentions,
      ...muteFields(me, this.deps.clock()),
      created_at: iso(conversation.createdAt),
      updated_at: iso(conversation.updatedAt),
    };
  }

  /** The list rows of `conversations` as `callerId` sees them, in the order given. */
  async summaries(callerId: string, conversations: Conversation[]): Promise<ConversationSummary[]> {
    const { store, presence } = this.deps;
    const rows = await Promise.all(
      conversations.map(async (c) => {
        const participants = await store.listParticipants(c.id);
        const me = participants.find((p) => p.userId === callerId);
        const other =
          c.type === 'DIRECT'
            ? (participants.find((p) => p.userId !== callerId)?.userId ?? null)
            : null;
        const [unread, unreadMentions] = me
          ? await Promise.all([this.unreadCount(me), this.unreadMentionCount(me)])
          : [0, 0];
        return { c, me, other, unread, unreadMentions };
      }),
    );
    const otherIds = rows.map((r) => r.other).filter((id): id is string => id !== null);
    const [users, online] = await Promise.all([
      store.findUsersByIds(otherIds),
      presence.onlineAmong(otherIds),
    ]);
    const byId = new Map<string, User>(users.map((u) => [u.id, u]));
    const now = this.deps.clock();
    return rows.map(({ c, me, other, unread, unreadMentions }) => {
      const otherUser = other ? byId.get(other) : undefined;
      return {
        id: c.id,
        type: c.type,
        name: c.type === 'DIRECT' ? (otherUser?.username ?? null) : c.name,
        avatar_url: c.type === 'DIRECT' ? (otherUser?.avatarUrl ?? null) : c.avatarUrl,
        last_message_content: c.lastMessageContent,
        last_message_at: isoOrNull(c.lastMessageAt),
        unread_count: unread,
        unread_mention_count: unreadMentions,
        ...muteFields(me, now),
        is_online: other !== null && online.has(other),
        last_active_at: otherUser ? isoOrNull(otherUser.lastActiveAt) : null,
        other_user_id: other,
        updated_at: iso(c.updatedAt),
      };
    });
  }

  /** Unread = other users' live messages after the seen watermark; derived, so always exact. */
  unreadCount(participant: Participant): Promise<number> {
    return this.deps.store.countMessagesAfter(
      participant.conversationId,
      participant.seen?.seq ?? 0,
      participant.userId,
    );
  }

  /** Unread mentions: of those, the messages that mention the participant; derived the same way. */
  unreadMentionCount(participant: Participant): Promise<number> {
    return this.deps.store.countMentionsAfter(
      participant.conversationId,
      participant.seen?.seq ?? 0,
      participant.userId,
    );
  }
}
