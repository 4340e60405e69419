// SYNC: exact catch-up. A client resumes from positions (per conversation, the highest seq it
// holds), given directly or through an opaque cursor the server stored; it gets every message
// after them in seq order (holes reported as SEQ_GAP), then the edits, deletions, receipts and
// membership changes since the cursor was issued (those may repeat: they are idempotent).
import { AppError } from '../domain/errors';
import { isObjectId, newObjectId } from '../domain/ids';
import { aggregateStatus } from '../domain/receipts';
import type { Conversation, Message, Participant } from '../domain/types';
import type { SyncResult } from '../protocol/rest';
import type { Clock, Store } from '../ports';
import type { MessageService } from './message-service';
import { toMessageFrame } from './views';

/** Conversations scanned per SYNC; a user in more sees the most recently active ones. */
const MAX_CONVERSATIONS = 1000;
/** Receipt and membership changes reported per SYNC. */
const MAX_CHANGES = 200;
/** Own recent messages whose status a receipt change re-reports, per conversation. */
const STATUS_WINDOW = 20;
/**
 * A reserved seq with no message this long after a later reservation is a hole (its send
 * crashed between reserving and writing), not a message still being written. Sends write within
 * milliseconds of reserving; the store's own timeouts bound a slow one far below this.
 */
export const HOLE_GRACE_MS = 10_000;
/**
 * Edits, receipts and membership changes are found by time; the next cursor starts this far
 * back so a write racing this SYNC is sent again rather than missed (they are idempotent).
 */
const CHANGE_OVERLAP_MS = 2_000;
const CURSOR_TTL_MS = 30 * 24 * 3600 * 1000;
const LOWEST_ID = '0'.repeat(24);

type SyncEvent = SyncResult['events'][number];

export interface SyncRequest {
  since?: string | null;
  positions?: Record<string, number>;
  limit?: number;
}

export class SyncService {
  constructor(private readonly deps: { store: Store; messages: MessageService; clock: Clock }) {}

  /** A cursor at the user's current positions (the `connected` greeting hands it out). */
  async cursorNow(userId: string): Promise<string> {
    const now = this.deps.clock();
    const conversations = await this.deps.store.listConversationsOfUser(
      userId,
      null,
      MAX_CONVERSATIONS,
    );
    const positions = Object.fromEntries(conversations.map((c) => [c.id, c.lastSeq]));
    return this.saveCursor(userId, positions, new Date(now.getTime() - CHANGE_OVERLAP_MS), now);
  }

  async sync(userId: string, request: SyncRequest): Promise<SyncResult> {
    const { store } = this.deps;
    const now = this.deps.clock();
    const limit = request.limit ?? 100;
    const cursor = request.since ? await this.loadCursor(userId, request.since, now) : null;
    const changesSince = cursor?.changesSince ?? new Date(0);
    const conversations = await store.listConversationsOfUser(userId, null, MAX_CONVERSATIONS);
    const conversationIds = conversations.map((c) => c.id);

    const held = new Map<string, number>();
    for (const c of conversations) {
      const given = request.positions?.[c.id] ?? cursor?.positions[c.id];
      held.set(c.id, given ?? (await this.joinedSeq(c.id, userId)));
    }

    // 1. New messages, per conversation in seq order, within the page budget.
    const events: SyncEvent[] = [];
    const reached = new Map(held);
    const shownAsNew = new Set<string>();
    let hasMore = false;
    for (const c of conversations) {
      const from = held.get(c.id) ?? 0;
      if (c.lastSeq <= from) continue;
      const budget = limit - events.length;
      if (budget <= 0) {
        hasMore = true;
        break;
      }
      const walk = await this.newMessages(c, from, budget, now);
      events.push(...walk.events);
      walk.shown.forEach((id) => shownAsNew.add(id));
      reached.set(c.id, walk.reached);
      if (walk.truncated) hasMore = true;
    }

    // 2. Edits and deletions of messages the client already had.
    const edits = await store.listMessageEditsSince(
      conversationIds,
      { createdAt: changesSince, id: LOWEST_ID },
      MAX_CHANGES + 1,
    );
    const editsFull = edits.length > MAX_CHANGES;
    for (const m of edits.slice(0, MAX_CHANGES)) {
      if (shownAsNew.has(m.id) || m.seq > (held.get(m.conversationId) ?? 0)) continue;
      events.push(this.editEvent(m));
    }

    // 3. Receipts and 4. membership, since the cursor was issued.
    const receipts = await store.listReceiptsChangedSince(
      conversationIds,
      changesSince,
      MAX_CHANGES,
    );
    events.push(...(await this.receiptEvents(userId, receipts)));
    const memberships = await store.listMembershipChangesSince(
      conversationIds,
      changesSince,
      MAX_CHANGES,
    );
    const left = await store.listConversationsLeftSince(userId, changesSince);
    events.push(...membershipEvents([...memberships, ...left], changesSince));

    const changesFull =
      editsFull || receipts.length >= MAX_CHANGES || memberships.length >= MAX_CHANGES;
    const nextChangesSince = changesFull
      ? earliestChange(edits, receipts, changesSince)
      : new Date(Math.max(changesSince.getTime(), now.getTime() - CHANGE_OVERLAP_MS));
    const next = await this.saveCursor(userId, Object.fromEntries(reached), nextChangesSince, now);
    return { events, next_cursor: next, has_more: hasMore || changesFull };
  }

  /**
   * Messages of one conversation after `from`: each gap in seqs is either a hole (old enough:
   * reported as SEQ_GAP and passed) or a send still being written (the walk stops before it).
   */
  private async newMessages(
    c: Conversation,
    from: number,
    budget: number,
    now: Date,
  ): Promise<{ events: SyncEvent[]; shown: string[]; reached: number; truncated: boolean }> {
    const rows = await this.deps.store.listMessagesAfter(c.id, from, budget + 1);
    const page = rows.slice(0, budget);
    const views = await this.deps.messages.views(c.id, page);
    const events: SyncEvent[] = [];
    const shown: string[] = [];
    let reached = from;
    const settled = (reservedAt: Date | null): boolean =>
      reservedAt !== null && now.getTime() - reservedAt.getTime() > HOLE_GRACE_MS;
    for (const [i, m] of page.entries()) {
      if (m.seq > reached + 1) {
        if (!settled(m.createdAt)) return { events, shown, reached, truncated: false };
        events.push(gapEvent(c.id, reached + 1, m.seq - 1));
      }
      const view = views[i];
      if (view) events.push({ type: 'NEW_MESSAGE', ...toMessageFrame(view) });
      shown.push(m.id);
      reached = m.seq;
    }
    if (rows.length > budget) return { events, shown, reached, truncated: true };
    // Reserved after the last stored message: a hole once the last reservation is old enough.
    if (c.lastSeq > reached && settled(c.lastMessageAt)) {
      events.push(gapEvent(c.id, reached + 1, c.lastSeq));
      reached = c.lastSeq;
    }
    return { events, shown, reached, truncated: false };
  }

  private editEvent(m: Message): SyncEvent {
    if (m.deletedAt !== null) {
      return {
        type: 'MESSAGE_DELETED',
        conversationId: m.conversationId,
        messageId: m.id,
        seq: m.seq,
        deletedAt: m.deletedAt.toISOString(),
      };
    }
    return {
      type: 'MESSAGE_UPDATED',
      conversationId: m.conversationId,
      messageId: m.id,
      seq: m.seq,
      content: m.content,
      updatedAt: m.updatedAt?.toISOString() ?? null,
    };
  }

  /**
   * MESSAGE_SEEN for each participant whose seen watermark is set (the user's own too, for their
   * other devices), and MESSAGE_STATUS for the user's recent messages the receipts advanced.
   */
  private async receiptEvents(userId: string, receipts: Participant[]): Promise<SyncEvent[]> {
    const { store } = this.deps;
    const current = receipts.filter((p) => p.leftAt === null);
    const users = await store.findUsersByIds([...new Set(current.map((p) => p.userId))]);
    const names = new Map(users.map((u) => [u.id, u.username]));
    const events: SyncEvent[] = current.flatMap((p) =>
      p.seen === null
        ? []
        : [
            {
              type: 'MESSAGE_SEEN',
              conversationId: p.conversationId,
              userId: p.userId,
              username: names.get(p.userId) ?? null,
              lastSeenMessageId: p.seen.messageId,
              seq: p.seen.seq,
            },
          ],
    );
    const touched = [
      ...new Set(current.filter((p) => p.userId !== userId).map((p) => p.conversationId)),
    ];
    for (const conversationId of touched) {
      const [recent, participants] = await Promise.all([
        store.listMessagesBefore(conversationId, null, STATUS_WINDOW),
        store.listParticipants(conversationId),
      ]);
      for (const m of recent.reverse()) {
        if (m.senderId !== userId || m.deletedAt !== null) continue;
        const status = aggregateStatus(m, participants);
        if (status !== 'SENT')
          events.push({ type: 'MESSAGE_STATUS', messageId: m.id, conversationId, status });
      }
    }
    return events;
  }

  private async joinedSeq(conversationId: string, userId: string): Promise<number> {
    const me = await this.deps.store.findParticipant(conversationId, userId);
    return me?.joinedSeq ?? 0;
  }

  private async loadCursor(userId: string, since: string, now: Date) {
    const record = isObjectId(since) ? await this.deps.store.findSyncCursor(since, now) : null;
    // Another user's cursor is as unknown as a made-up one: it reveals nothing.
    if (!record || record.userId !== userId) {
      throw new AppError('VALIDATION', 'since: unknown or expired cursor; SYNC with positions');
    }
    return record;
  }

  private async saveCursor(
    userId: string,
    positions: Record<string, number>,
    changesSince: Date,
    now: Date,
  ): Promise<string> {
    const id = newObjectId(now);
    await this.deps.store.saveSyncCursor({
      id,
      userId,
      positions,
      changesSince,
      createdAt: now,
      expiresAt: new Date(now.getTime() + CURSOR_TTL_MS),
    });
    return id;
  }
}

const gapEvent = (conversationId: string, fromSeq: number, toSeq: number): SyncEvent => ({
  type: 'SEQ_GAP',
  conversationId,
  fromSeq,
  toSeq,
});

/** Joins and departures after `since` as PARTICIPANTS_CHANGED, one per conversation and kind. */
function membershipEvents(records: Participant[], since: Date): SyncEvent[] {
  const byConversation = new Map<string, { added: Set<string>; removed: Set<string> }>();
  for (const p of records) {
    const entry = byConversation.get(p.conversationId) ?? { added: new Set(), removed: new Set() };
    byConversation.set(p.conversationId, entry);
    if (p.leftAt !== null && p.leftAt.getTime() > since.getTime()) entry.removed.add(p.userId);
    else if (p.joinedAt.getTime() > since.getTime()) entry.added.add(p.userId);
  }
  return [...byConversation].map(([conversationId, { added, removed }]) => ({
    type: 'PARTICIPANTS_CHANGED',
    conversationId,
    ...(added.size > 0 && { added: [...added] }),
    ...(removed.size > 0 && { removed: [...removed] }),
  }));
}

/** Where a cut-short change scan resumes: the earliest last item among the full lists. */
function earliestChange(edits: Message[], receipts: Participant[], since: Date): Date {
  const candidates = [edits[edits.length - 1]?.changedAt, receipts[receipts.length - 1]?.receiptsAt]
    .filter((d): d is Date => d instanceof Date)
    .map((d) => d.getTime());
  const at = candidates.length > 0 ? Math.min(...candidates) : since.getTime();
  // Never stand still: a full page of changes within one millisecond would loop forever.
  return new Date(Math.max(at, since.getTime() + 1));
}
