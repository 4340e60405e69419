// MemoryStore: the embedded default. Everything lives in this process and is gone on restart.
import { compareKeys, type OrderKey } from '../../domain/ordering';
import type {
  Conversation,
  Message,
  Participant,
  ParticipantRole,
  User,
  Watermark,
} from '../../domain/types';
import type { ActivityKey, LastMessage, MessagePatch, Store, WatermarkMove } from '../../ports';

/** Records are copied in and out so callers can never mutate stored state by accident. */
const copy = <T>(value: T): T => structuredClone(value);

const messageKey = (m: Message): OrderKey => ({ createdAt: m.createdAt, id: m.id });
const changeKey = (m: Message): OrderKey => ({ createdAt: m.changedAt, id: m.id });

const activityBefore = (c: Conversation, key: ActivityKey): boolean =>
  c.updatedAt.getTime() < key.updatedAt.getTime() ||
  (c.updatedAt.getTime() === key.updatedAt.getTime() && c.id < key.id);

export class MemoryStore implements Store {
  private readonly users = new Map<string, User>();
  private readonly conversations = new Map<string, Conversation>();
  /** conversationId → userId → participant */
  private readonly participants = new Map<string, Map<string, Participant>>();
  /** userId → conversation ids the user has a participant record in */
  private readonly conversationsByUser = new Map<string, Set<string>>();
  private readonly messages = new Map<string, Message>();
  /** conversationId → its messages sorted by (createdAt, id) */
  private readonly timelines = new Map<string, Message[]>();
  /** message id → until when a relay has claimed its pending event (0: unclaimed) */
  private readonly pendingEvents = new Map<string, number>();

  insertUser(user: User): Promise<boolean> {
    if (this.users.has(user.id)) return Promise.resolve(false);
    this.users.set(user.id, copy(user));
    return Promise.resolve(true);
  }

  findUserById(id: string): Promise<User | null> {
    const user = this.users.get(id);
    return Promise.resolve(user ? copy(user) : null);
  }

  findUsersByIds(ids: readonly string[]): Promise<User[]> {
    const found = ids.map((id) => this.users.get(id)).filter((u): u is User => u !== undefined);
    return Promise.resolve(found.map(copy));
  }

  searchUsers(text: string, excludeUserId: string, limit: number): Promise<User[]> {
    const needle = text.toLowerCase();
    const matches = [...this.users.values()]
      .filter((u) => u.id !== excludeUserId && u.username.toLowerCase().includes(needle))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .slice(0, limit);
    return Promise.resolve(matches.map(copy));
  }

  setUserLastActive(id: string, at: Date): Promise<void> {
    const user = this.users.get(id);
    if (user) user.lastActiveAt = new Date(at);
    return Promise.resolve();
  }

  insertConversation(conversation: Conversation): Promise<boolean> {
    if (this.conversations.has(conversation.id)) return Promise.resolve(false);
    this.conversations.set(conversation.id, copy(conversation));
    return Promise.resolve(true);
  }

  findConversation(id: string): Promise<Conversation | null> {
    const conversation = this.conversations.get(id);
    return Promise.resolve(conversation ? copy(conversation) : null);
  }

  recordLastMessage(conversationId: string, last: LastMessage): Promise<void> {
    const c = this.conversations.get(conversationId);
    if (c && (c.lastMessageAt === null || c.lastMessageAt.getTime() <= last.at.getTime())) {
      c.lastMessageId = last.messageId;
      c.lastMessageContent = last.content;
      c.lastMessageAt = new Date(last.at);
      if (c.updatedAt.getTime() < last.at.getTime()) c.updatedAt = new Date(last.at);
    }
    return Promise.resolve();
  }

  replaceLastMessagePreview(
    conversationId: string,
    messageId: string,
    content: string | null,
  ): Promise<void> {
    const c = this.conversations.get(conversationId);
    if (c && c.lastMessageId === messageId) c.lastMessageContent = content;
    return Promise.resolve();
  }

  listConversationsOfUser(
    userId: string,
    before: ActivityKey | null,
    limit: number,
  ): Promise<Conversation[]> {
    const ids = this.conversationsByUser.get(userId) ?? new Set<string>();
    const current = [...ids]
      .filter((id) => this.participants.get(id)?.get(userId)?.leftAt === null)
      .map((id) => this.conversations.get(id))
      .filter((c): c is Conversation => c !== undefined)
      .filter((c) => before === null || activityBefore(c, before))
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, limit);
    return Promise.resolve(current.map(copy));
  }

  upsertParticipant(participant: Participant): Promise<boolean> {
    let members = this.participants.get(participant.conversationId);
    if (!members) {
      members = new Map();
      this.participants.set(participant.conversationId, members);
    }
    const existing = members.get(participant.userId);
    if (existing && existing.leftAt === null) return Promise.resolve(false);
    members.set(participant.userId, copy(participant));
    let owned = this.conversationsByUser.get(participant.userId);
    if (!owned) {
      owned = new Set();
      this.conversationsByUser.set(participant.userId, owned);
    }
    owned.add(participant.conversationId);
    return Promise.resolve(true);
  }

  findParticipant(conversationId: string, userId: string): Promise<Participant | null> {
    const p = this.participants.get(conversationId)?.get(userId);
    return Promise.resolve(p ? copy(p) : null);
  }

  listParticipants(conversationId: string): Promise<Participant[]> {
    const all = [...(this.participants.get(conversationId)?.values() ?? [])];
    all.sort(
      (a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || (a.userId < b.userId ? -1 : 1),
    );
    return Promise.resolve(all.map(copy));
  }

  markParticipantLeft(conversationId: string, userId: string, at: Date): Promise<boolean> {
    const p = this.participants.get(conversationId)?.get(userId);
    if (!p || p.leftAt !== null) return Promise.resolve(false);
    p.leftAt = new Date(at);
    return Promise.resolve(true);
  }

  setParticipantRole(conversationId: string, userId: string, role: ParticipantRole): Promise<void> {
    const p = this.participants.get(conversationId)?.get(userId);
    if (p) p.role = role;
    return Promise.resolve();
  }

  advanceWatermark(
    conversationId: string,
    userId: string,
    kind: 'seen' | 'delivered',
    to: Watermark,
    at: Date,
  ): Promise<WatermarkMove> {
    const p = this.participants.get(conversationId)?.get(userId);
    if (!p) return Promise.resolve({ moved: false, previous: null });
    const current = p[kind];
    const target = { createdAt: to.createdAt, id: to.messageId };
    if (
      current &&
      compareKeys(target, { createdAt: current.createdAt, id: current.messageId }) <= 0
    ) {
      return Promise.resolve({ moved: false, previous: copy(current) });
    }
    p[kind] = copy(to);
    p.receiptsAt = new Date(at);
    return Promise.resolve({ moved: true, previous: current ? copy(current) : null });
  }

  listReceiptsChangedSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    const changed = conversationIds
      .flatMap((id) => [...(this.participants.get(id)?.values() ?? [])])
      .filter((p) => p.receiptsAt !== null && p.receiptsAt.getTime() > since.getTime())
      .sort((a, b) => (a.receiptsAt?.getTime() ?? 0) - (b.receiptsAt?.getTime() ?? 0))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  insertMessage(message: Message): Promise<boolean> {
    if (this.messages.has(message.id)) return Promise.resolve(false);
    const stored = copy(message);
    this.messages.set(stored.id, stored);
    let timeline = this.timelines.get(stored.conversationId);
    if (!timeline) {
      timeline = [];
      this.timelines.set(stored.conversationId, timeline);
    }
    timeline.splice(this.indexAfter(timeline, messageKey(stored)), 0, stored);
    this.pendingEvents.set(stored.id, 0);
    return Promise.resolve(true);
  }

  findMessage(id: string): Promise<Message | null> {
    const m = this.messages.get(id);
    return Promise.resolve(m ? copy(m) : null);
  }

  listMessagesBefore(
    conversationId: string,
    before: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    const timeline = this.timelines.get(conversationId) ?? [];
    const end = before === null ? timeline.length : this.indexBefore(timeline, before);
    const page = timeline.slice(Math.max(0, end - limit), end).reverse();
    return Promise.resolve(page.map(copy));
  }

  countMessagesAfter(
    conversationId: string,
    after: OrderKey | null,
    excludeSenderId: string,
  ): Promise<number> {
    const timeline = this.timelines.get(conversationId) ?? [];
    const start = after === null ? 0 : this.indexAfter(timeline, after);
    let count = 0;
    for (let i = start; i < timeline.length; i++) {
      const m = timeline[i];
      if (m && m.senderId !== excludeSenderId && m.deletedAt === null) count++;
    }
    return Promise.resolve(count);
  }

  updateMessage(id: string, patch: MessagePatch): Promise<Message | null> {
    const m = this.messages.get(id);
    if (!m) return Promise.resolve(null);
    if (patch.content !== undefined) m.content = patch.content;
    if (patch.media !== undefined) m.media = copy(patch.media);
    if (patch.type !== undefined) m.type = patch.type;
    if (patch.updatedAt !== undefined) m.updatedAt = new Date(patch.updatedAt);
    if (patch.deletedAt !== undefined) m.deletedAt = new Date(patch.deletedAt);
    m.changedAt = new Date(patch.changedAt);
    return Promise.resolve(copy(m));
  }

  listMessagesChangedSince(
    conversationIds: readonly string[],
    after: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    const wanted = new Set(conversationIds);
    const changed = [...this.messages.values()]
      .filter((m) => wanted.has(m.conversationId))
      .filter((m) => after === null || compareKeys(changeKey(m), after) > 0)
      .sort((a, b) => compareKeys(changeKey(a), changeKey(b)))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    const pending = [...this.pendingEvents.keys()]
      .map((id) => this.messages.get(id))
      .filter(
        (m): m is Message => m !== undefined && m.createdAt.getTime() < createdBefore.getTime(),
      )
      .sort((a, b) => compareKeys(messageKey(a), messageKey(b)))
      .slice(0, limit);
    return Promise.resolve(pending.map(copy));
  }

  claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean> {
    const claimedUntil = this.pendingEvents.get(messageId);
    if (claimedUntil === undefined || claimedUntil > now.getTime()) return Promise.resolve(false);
    this.pendingEvents.set(messageId, until.getTime());
    return Promise.resolve(true);
  }

  clearPendingMessageEvent(messageId: string): Promise<void> {
    this.pendingEvents.delete(messageId);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** First index whose key is strictly greater than `key`. */
  private indexAfter(timeline: Message[], key: OrderKey): number {
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = timeline[mid];
      if (m && compareKeys(messageKey(m), key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is greater than or equal to `key`. */
  private indexBefore(timeline: Message[], key: OrderKey): number {
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = timeline[mid];
      if (m && compareKeys(messageKey(m), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
