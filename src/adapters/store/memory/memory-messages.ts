// The embedded store's messages (per-conversation timelines by seq, the outbox) and SYNC cursors.
import { compareKeys, type OrderKey } from '../../../domain/ordering';
import type { Message } from '../../../domain/types';
import type {
  AppendResult,
  ConversationStore,
  MessageDraft,
  MessagePatch,
  MessageStore,
  SyncCursorRecord,
  SyncCursorStore,
} from '../../../ports';
import { appendByReservation } from '../append-by-reservation';
import { copy, type MemoryState } from './memory-state';

const changeKey = (m: Message): OrderKey => ({ createdAt: m.changedAt, id: m.id });
/** Cursors kept at most; the oldest go first (a client holding one then SYNCs from positions). */
const MAX_SYNC_CURSORS = 200_000;

export class MemoryMessages implements MessageStore {
  constructor(
    private readonly s: MemoryState,
    private readonly reserve: ConversationStore['reserveMessageSeq'],
  ) {}

  appendMessage(
    draft: MessageDraft,
    now: Date,
    previewContent: string | null,
  ): Promise<AppendResult> {
    // One process, no await before the reservation: a duplicate is caught before it takes a seq.
    const records = [...(this.s.participants.get(draft.conversationId)?.values() ?? [])];
    const sender = records.find((p) => p.userId === draft.senderId && p.leftAt === null);
    if (!sender) return Promise.resolve({ kind: 'refused' });
    if (sender.blocked === true) return Promise.resolve({ kind: 'blocked' });
    if (this.s.messages.has(draft.id)) return Promise.resolve({ kind: 'duplicate' });
    const absent = () => Promise.resolve(false);
    return appendByReservation(
      {
        // Read and let go by appendByReservation, never handed on: no copy needed.
        listParticipants: () => Promise.resolve(records),
        exists: absent,
        reserve: this.reserve,
        insert: (m) => this.insertMessage(m),
      },
      draft,
      now,
      previewContent,
    );
  }

  insertMessage(message: Message): Promise<boolean> {
    if (this.s.messages.has(message.id)) return Promise.resolve(false);
    const stored = copy(message);
    this.s.messages.set(stored.id, stored);
    let timeline = this.s.timelines.get(stored.conversationId);
    if (!timeline) {
      timeline = [];
      this.s.timelines.set(stored.conversationId, timeline);
    }
    timeline.splice(this.#indexAfter(timeline, stored.seq), 0, stored);
    this.s.pendingEvents.set(stored.id, 0);
    return Promise.resolve(true);
  }

  findMessage(id: string): Promise<Message | null> {
    const m = this.s.messages.get(id);
    return Promise.resolve(m ? copy(m) : null);
  }

  listMessagesBefore(
    conversationId: string,
    beforeSeq: number | null,
    limit: number,
  ): Promise<Message[]> {
    const timeline = this.s.timelines.get(conversationId) ?? [];
    const end = beforeSeq === null ? timeline.length : this.#indexAfter(timeline, beforeSeq - 1);
    return Promise.resolve(
      timeline
        .slice(Math.max(0, end - limit), end)
        .reverse()
        .map(copy),
    );
  }

  listMessagesAfter(conversationId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const timeline = this.s.timelines.get(conversationId) ?? [];
    const start = this.#indexAfter(timeline, afterSeq);
    return Promise.resolve(timeline.slice(start, start + limit).map(copy));
  }

  countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
  ): Promise<number> {
    const timeline = this.s.timelines.get(conversationId) ?? [];
    let count = 0;
    for (let i = this.#indexAfter(timeline, afterSeq); i < timeline.length; i++) {
      const m = timeline[i];
      if (m && m.senderId !== excludeSenderId && m.deletedAt === null) count++;
    }
    return Promise.resolve(count);
  }

  countMentionsAfter(conversationId: string, afterSeq: number, userId: string): Promise<number> {
    const timeline = this.s.timelines.get(conversationId) ?? [];
    let count = 0;
    for (let i = this.#indexAfter(timeline, afterSeq); i < timeline.length; i++) {
      const m = timeline[i];
      if (m && m.senderId !== userId && m.deletedAt === null && m.mentions.includes(userId))
        count++;
    }
    return Promise.resolve(count);
  }

  updateMessage(id: string, patch: MessagePatch): Promise<Message | null> {
    const m = this.s.messages.get(id);
    if (!m) return Promise.resolve(null);
    if (patch.content !== undefined) m.content = patch.content;
    if (patch.media !== undefined) m.media = copy(patch.media);
    if (patch.type !== undefined) m.type = patch.type;
    if (patch.updatedAt !== undefined) m.updatedAt = new Date(patch.updatedAt);
    if (patch.deletedAt !== undefined) m.deletedAt = new Date(patch.deletedAt);
    if (patch.mentions !== undefined) m.mentions = [...patch.mentions];
    m.changedAt = new Date(patch.changedAt);
    return Promise.resolve(copy(m));
  }

  listMessageEditsSince(
    conversationIds: readonly string[],
    after: OrderKey,
    limit: number,
  ): Promise<Message[]> {
    const wanted = new Set(conversationIds);
    const changed = [...this.s.messages.values()]
      .filter((m) => wanted.has(m.conversationId) && (m.updatedAt !== null || m.deletedAt !== null))
      .filter((m) => compareKeys(changeKey(m), after) > 0)
      .sort((a, b) => compareKeys(changeKey(a), changeKey(b)))
      .slice(0, limit);
    return Promise.resolve(changed.map(copy));
  }

  listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    const pending = [...this.s.pendingEvents.keys()]
      .map((id) => this.s.messages.get(id))
      .filter(
        (m): m is Message => m !== undefined && m.createdAt.getTime() < createdBefore.getTime(),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.seq - b.seq)
      .slice(0, limit);
    return Promise.resolve(pending.map(copy));
  }

  claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean> {
    const claimedUntil = this.s.pendingEvents.get(messageId);
    if (claimedUntil === undefined || claimedUntil > now.getTime()) return Promise.resolve(false);
    this.s.pendingEvents.set(messageId, until.getTime());
    return Promise.resolve(true);
  }

  clearPendingMessageEvents(messageIds: readonly string[]): Promise<void> {
    for (const id of messageIds) this.s.pendingEvents.delete(id);
    return Promise.resolve();
  }

  countPendingMessageEvents(): Promise<number> {
    return Promise.resolve(this.s.pendingEvents.size);
  }

  /** First index whose seq is strictly greater than `seq`. */
  #indexAfter(timeline: Message[], seq: number): number {
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = timeline[mid];
      if (m && m.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class MemorySyncCursors implements SyncCursorStore {
  constructor(private readonly s: MemoryState) {}

  saveSyncCursor(cursor: SyncCursorRecord): Promise<void> {
    const positions = Object.keys(cursor.positions).length > 0 ? copy(cursor.positions) : null;
    this.s.syncCursors.set(cursor.id, {
      userId: cursor.userId,
      positions,
      changesSince: cursor.changesSince.getTime(),
      createdAt: cursor.createdAt.getTime(),
      expiresAt: cursor.expiresAt.getTime(),
    });
    while (this.s.syncCursors.size > MAX_SYNC_CURSORS) {
      const oldest = this.s.syncCursors.keys().next().value;
      if (oldest === undefined) break;
      this.s.syncCursors.delete(oldest);
    }
    return Promise.resolve();
  }

  findSyncCursor(id: string, now: Date): Promise<SyncCursorRecord | null> {
    const cursor = this.s.syncCursors.get(id);
    if (!cursor || cursor.expiresAt <= now.getTime()) return Promise.resolve(null);
    return Promise.resolve({
      id,
      userId: cursor.userId,
      positions: cursor.positions ? copy(cursor.positions) : {},
      changesSince: new Date(cursor.changesSince),
      createdAt: new Date(cursor.createdAt),
      expiresAt: new Date(cursor.expiresAt),
    });
  }
}
