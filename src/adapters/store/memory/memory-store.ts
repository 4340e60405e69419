// MemoryStore: the embedded default. Everything lives in this process and is gone on restart.
import type {
  Conversation,
  Participant,
  ParticipantRole,
  User,
  Watermark,
} from '../../../domain/types';
import type {
  EmittedMark,
  ActivityKey,
  ConversationStore,
  LastMessagePreview,
  MuteSetting,
  ParticipantStore,
  SeqReservation,
  Store,
  UserStore,
  WatermarkMove,
} from '../../../ports';
import { composeStore } from '../compose-store';
import { MemoryMessageSearch } from './memory-message-search';
import { MemoryBlocks } from './memory-blocks';
import { MemoryMessages, MemorySyncCursors } from './memory-messages';
import { MemoryPins } from './memory-pins';
import { MemoryReactions } from './memory-reactions';
import { copy, MemoryState } from './memory-state';

const activityBefore = (c: Conversation, key: ActivityKey): boolean =>
  c.updatedAt.getTime() < key.updatedAt.getTime() ||
  (c.updatedAt.getTime() === key.updatedAt.getTime() && c.id < key.id);

class MemoryUsers implements UserStore {
  constructor(private readonly s: MemoryState) {}

  insertUser(user: User): Promise<boolean> {
    if (this.s.users.has(user.id)) return Promise.resolve(false);
    this.s.users.set(user.id, copy(user));
    return Promise.resolve(true);
  }

  findUserById(id: string): Promise<User | null> {
    const user = this.s.users.get(id);
    return Promise.resolve(user ? copy(user) : null);
  }

  findUsersByIds(ids: readonly string[]): Promise<User[]> {
    const found = ids.map((id) => this.s.users.get(id)).filter((u): u is User => u !== undefined);
    return Promise.resolve(found.map(copy));
  }

  searchUsers(text: string, excludeUserId: string, limit: number): Promise<User[]> {
    const needle = text.toLowerCase();
    const matches = [...this.s.users.values()]
      .filter((u) => u.id !== excludeUserId && u.username.toLowerCase().includes(needle))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .slice(0, limit);
    return Promise.resolve(matches.map(copy));
  }

  setUserLastActive(id: string, at: Date): Promise<void> {
    const user = this.s.users.get(id);
    if (user) user.lastActiveAt = new Date(at);
    return Promise.resolve();
  }
}

class MemoryConversations implements ConversationStore {
  constructor(private readonly s: MemoryState) {}

  insertConversation(conversation: Conversation): Promise<boolean> {
    if (this.s.conversations.has(conversation.id)) return Promise.resolve(false);
    this.s.conversations.set(conversation.id, copy(conversation));
    return Promise.resolve(true);
  }

  findConversation(id: string): Promise<Conversation | null> {
    const conversation = this.s.conversations.get(id);
    return Promise.resolve(conversation ? copy(conversation) : null);
  }

  reserveMessageSeq(
    conversationId: string,
    now: Date,
    preview: LastMessagePreview,
  ): Promise<SeqReservation | null> {
    const c = this.s.conversations.get(conversationId);
    if (!c) return Promise.resolve(null);
    const at = new Date(Math.max(now.getTime(), c.lastMessageAt?.getTime() ?? 0));
    c.lastSeq += 1;
    c.lastMessageId = preview.messageId;
    c.lastMessageContent = preview.content;
    c.lastMessageAt = at;
    if (c.updatedAt.getTime() < at.getTime()) c.updatedAt = new Date(at);
    return Promise.resolve({ seq: c.lastSeq, at: new Date(at) });
  }

  recordEmittedSeqs(marks: readonly EmittedMark[]): Promise<void> {
    for (const { conversationId, seq } of marks) {
      const c = this.s.conversations.get(conversationId);
      if (c && c.emittedSeq < seq) c.emittedSeq = seq;
    }
    return Promise.resolve();
  }

  replaceLastMessagePreview(
    conversationId: string,
    messageId: string,
    content: string | null,
  ): Promise<void> {
    const c = this.s.conversations.get(conversationId);
    if (c && c.lastMessageId === messageId) c.lastMessageContent = content;
    return Promise.resolve();
  }

  listConversationsOfUser(
    userId: string,
    before: ActivityKey | null,
    limit: number,
  ): Promise<Conversation[]> {
    const ids = this.s.conversationsByUser.get(userId) ?? new Set<string>();
    const current = [...ids]
      .filter((id) => this.s.participants.get(id)?.get(userId)?.leftAt === null)
      .map((id) => this.s.conversations.get(id))
      .filter((c): c is Conversation => c !== undefined)
      .filter((c) => before === null || activityBefore(c, before))
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, limit);
    return Promise.resolve(current.map(copy));
  }
}

class MemoryParticipants implements ParticipantStore {
  constructor(private readonly s: MemoryState) {}

  upsertParticipant(participant: Participant): Promise<boolean> {
    let members = this.s.participants.get(participant.conversationId);
    if (!members) {
      members = new Map();
      this.s.participants.set(participant.conversationId, members);
    }
    const existing = members.get(participant.userId);
    if (existing && existing.leftAt === null) return Promise.resolve(false);
    members.set(participant.userId, copy(participant));
    let owned = this.s.conversationsByUser.get(participant.userId);
    if (!owned) {
      owned = new Set();
      this.s.conversationsByUser.set(participant.userId, owned);
    }
    owned.add(participant.conversationId);
    return Promise.resolve(true);
  }

  findParticipant(conversationId: string, userId: string): Promise<Participant | null> {
    const p = this.s.participants.get(conversationId)?.get(userId);
    return Promise.resolve(p ? copy(p) : null);
  }

  listParticipants(conversationId: string): Promise<Participant[]> {
    const all = [...(this.s.participants.get(conversationId)?.values() ?? [])];
    all.sort(
      (a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || (a.userId < b.userId ? -1 : 1),
    );
    return Promise.resolve(all.map(copy));
  }

  markParticipantLeft(conversationId: string, userId: string, at: Date): Promise<boolean> {
    const p = this.s.participants.get(conversationId)?.get(userId);
    if (!p || p.leftAt !== null) return Promise.resolve(false);
    p.leftAt = new Date(at);
    return Promise.resolve(true);
  }

  setParticipantRole(conversationId: string, userId: string, role: ParticipantRole): Promise<void> {
    const p = this.s.participants.get(conversationId)?.get(userId);
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
    const p = this.s.participants.get(conversationId)?.get(userId);
    if (!p) return Promise.resolve({ moved: false, previous: null });
    const current = p[kind];
    // Only a current participant's receipts move: one who left confirms nothing more.
    if (p.leftAt !== null || (current && to.seq <= current.seq)) {
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
    const changed = this.#recordsOf(conversationIds)
      .filter((p) => p.receiptsAt !== null && p.receiptsAt.getTime() > since.getTime())
      .sort((a, b) => (a.receiptsAt?.getTime() ?? 0) - (b.receiptsAt?.getTime() ?? 0))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  listMembershipChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    const changedAt = (p: Participant): number =>
      Math.max(p.joinedAt.getTime(), p.leftAt?.getTime() ?? 0);
    const changed = this.#recordsOf(conversationIds)
      .filter((p) => changedAt(p) > since.getTime())
      .sort((a, b) => changedAt(a) - changedAt(b))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  listConversationsLeftSince(userId: string, since: Date): Promise<Participant[]> {
    const ids = [...(this.s.conversationsByUser.get(userId) ?? [])];
    const left = ids
      .map((id) => this.s.participants.get(id)?.get(userId))
      .filter((p): p is Participant => p?.leftAt != null && p.leftAt.getTime() > since.getTime());
    return Promise.resolve(left.map(copy));
  }

  setParticipantMute(
    conversationId: string,
    userId: string,
    mute: MuteSetting,
    at: Date,
  ): Promise<boolean> {
    const p = this.s.participants.get(conversationId)?.get(userId);
    if (!p || p.leftAt !== null) return Promise.resolve(false);
    p.muted = mute.muted;
    p.mutedUntil = mute.muted && mute.until ? new Date(mute.until) : null;
    p.muteChangedAt = new Date(at);
    return Promise.resolve(true);
  }

  listMuteChangesSince(userId: string, since: Date): Promise<Participant[]> {
    const ids = [...(this.s.conversationsByUser.get(userId) ?? [])];
    const changed = ids
      .map((id) => this.s.participants.get(id)?.get(userId))
      .filter(
        (p): p is Participant =>
          p !== undefined &&
          p.leftAt === null &&
          p.muteChangedAt !== null &&
          p.muteChangedAt.getTime() > since.getTime(),
      )
      .sort((a, b) => (a.muteChangedAt?.getTime() ?? 0) - (b.muteChangedAt?.getTime() ?? 0));
    return Promise.resolve(changed.map(copy));
  }

  #recordsOf(conversationIds: readonly string[]): Participant[] {
    return conversationIds.flatMap((id) => [...(this.s.participants.get(id)?.values() ?? [])]);
  }
}

/** MemoryStore, the embedded store: per-aggregate parts over one fresh in-process state. */
export function createMemoryStore(): Store {
  const state = new MemoryState();
  const conversations = new MemoryConversations(state);
  return composeStore({
    users: new MemoryUsers(state),
    conversations,
    participants: new MemoryParticipants(state),
    messages: new MemoryMessages(state, (...args) => conversations.reserveMessageSeq(...args)),
    cursors: new MemorySyncCursors(state),
    search: new MemoryMessageSearch(state),
    pins: new MemoryPins(),
    blocks: new MemoryBlocks(state),
    reactions: new MemoryReactions(),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
}
