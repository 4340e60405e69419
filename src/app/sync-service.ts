// SYNC: exact catch-up. A client resumes from positions (per conversation, the highest seq it
// holds), given directly or through an opaque cursor the server stored; it gets every message
// after them in seq order (holes reported as SEQ_GAP), then the edits, deletions, receipts,
// membership changes, the user's mutes and pin changes since the cursor was issued (those may
// repeat: they are idempotent).
import { AppError } from '../domain/errors';
import { isObjectId, newObjectId } from '../domain/ids';
import type { Conversation } from '../domain/types';
import type { SyncResult } from '../protocol/rest';
import type { Clock, Store } from '../ports';
import type { MessageService } from './message-service';
import {
  editEvent,
  gapEvent,
  membershipChangedAt,
  membershipEvents,
  muteEvents,
  pinEvents,
  receiptEvents,
  resumeChangesAt,
  type SyncEvent,
} from './sync-events';
import { readSyncChanges } from './sync-changes';
import { reactionEvents } from './sync-reactions';
import { toMessageFrame } from './views';

/** Conversations scanned per SYNC; a user in more sees the most recently active ones. */
const MAX_CONVERSATIONS = 1000;
/** Edits reported per SYNC. */
const MAX_CHANGES = 200;
/**
 * Receipt moves and membership changes reported per SYNC: above a group's size (1000 by default),
 * so one admin action or one burst of reads — stamped with a single instant — fits one page
 * (a page cut inside one millisecond could not resume between its ties).
 */
const MAX_RECEIPTS = 1500;
const MAX_MEMBERSHIPS = 2500;
/** Pin changes reported per SYNC (a conversation holds at most 50 pins at a time). */
const MAX_PIN_CHANGES = 500;
/** Reaction changes read per SYNC (several on one message make one event). */
const MAX_REACTIONS = 1000;
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
/** Seqs of a busy conversation a fresh cursor checks for sends still being written. */
const RECENT_WINDOW = 50;
const LOWEST_ID = '0'.repeat(24);

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
    const positions: Record<string, number> = {};
    for (const c of conversations) positions[c.id] = await this.settledPosition(c, now);
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

    // Where each conversation resumes. Never below where the user (re-)joined: what was sent
    // while they were not a member is not theirs to catch up on. (No SEQ_GAP for that range:
    // those seqs do hold messages, just not for them.)
    const held = new Map<string, number>();
    for (const c of conversations) {
      const given = request.positions?.[c.id] ?? cursor?.positions[c.id];
      if (given !== undefined && given >= c.lastSeq) {
        held.set(c.id, given);
        continue;
      }
      const joined = await this.joinedSeq(c.id, userId);
      held.set(c.id, Math.max(given ?? joined, joined));
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
      const walk = await this.newMessages(userId, c, from, budget, now);
      events.push(...walk.events);
      walk.shown.forEach((id) => shownAsNew.add(id));
      reached.set(c.id, walk.reached);
      if (walk.truncated) hasMore = true;
    }

    // 2–7 read what changed since the cursor, all at once: each read is a snapshot of its own,
    // and what they are filtered by (what step 1 showed, where each conversation resumes) is
    // known already.
    const changes = await readSyncChanges(store, {
      userId,
      conversationIds,
      since: changesSince,
      editsAfter: { createdAt: changesSince, id: LOWEST_ID },
      limits: {
        edits: MAX_CHANGES + 1,
        receipts: MAX_RECEIPTS,
        memberships: MAX_MEMBERSHIPS,
        pins: MAX_PIN_CHANGES,
        reactions: MAX_REACTIONS + 1,
      },
    });
    const { edits, receipts, memberships, left, mutes, pins } = changes;
    const reactionChanges = changes.reactions;

    // 2. Edits and deletions of messages the client already had.
    const editsFull = edits.length > MAX_CHANGES;
    for (const m of edits.slice(0, MAX_CHANGES)) {
      if (shownAsNew.has(m.id) || m.seq > (held.get(m.conversationId) ?? 0)) continue;
      events.push(editEvent(m));
    }

    // 3. Receipts and 4. membership, since the cursor was issued.
    const reactionsFull = reactionChanges.length > MAX_REACTIONS;
    const reacted = reactionChanges
      .slice(0, MAX_REACTIONS)
      .filter(
        (r) => !shownAsNew.has(r.messageId) && r.messageSeq <= (held.get(r.conversationId) ?? 0),
      );
    // The two lookups these need (who moved, what the reactions stand at) run together too.
    const [receiptFrames, reactionFrames] = await Promise.all([
      receiptEvents(store, userId, receipts),
      reactionEvents(store, userId, reacted),
    ]);
    events.push(...receiptFrames);
    events.push(...membershipEvents([...memberships, ...left], changesSince));
    // 5. The user's own mutes (set on another device), as they stand now.
    const listed = new Set(conversationIds);
    events.push(
      ...muteEvents(
        mutes.filter((p) => listed.has(p.conversationId)),
        now,
      ),
    );
    // 6. Pins and unpins in these conversations, each as it stands now.
    events.push(...pinEvents(pins));
    // 7. Reactions changed on messages the client already had (new ones carry theirs).
    events.push(...reactionFrames);

    const changesFull =
      editsFull ||
      receipts.length >= MAX_RECEIPTS ||
      memberships.length >= MAX_MEMBERSHIPS ||
      pins.length >= MAX_PIN_CHANGES ||
      reactionsFull;
    const nextChangesSince = changesFull
      ? resumeChangesAt(
          [
            editsFull ? edits.slice(0, MAX_CHANGES).map((m) => m.changedAt) : [],
            receipts.length >= MAX_RECEIPTS ? receipts.map((p) => p.receiptsAt) : [],
            memberships.length >= MAX_MEMBERSHIPS ? memberships.map(membershipChangedAt) : [],
            pins.length >= MAX_PIN_CHANGES ? pins.map((p) => p.changedAt) : [],
            reactionsFull ? reactionChanges.slice(0, MAX_REACTIONS).map((r) => r.changedAt) : [],
          ],
          changesSince,
        )
      : new Date(Math.max(changesSince.getTime(), now.getTime() - CHANGE_OVERLAP_MS));
    const next = await this.saveCursor(userId, Object.fromEntries(reached), nextChangesSince, now);
    return { events, next_cursor: next, has_more: hasMore || changesFull };
  }

  /**
   * Messages of one conversation after `from`: each gap in seqs is either a hole (old enough:
   * reported as SEQ_GAP and passed) or a send still being written (the walk stops before it).
   */
  private async newMessages(
    userId: string,
    c: Conversation,
    from: number,
    budget: number,
    now: Date,
  ): Promise<{ events: SyncEvent[]; shown: string[]; reached: number; truncated: boolean }> {
    const fetched = await this.deps.store.listMessagesAfter(c.id, from, budget + 1);
    // The user may have left while this SYNC ran (the conversation list was read before):
    // membership read after the messages, so nothing sent after the departure slips through.
    // One read serves that and the views' statuses (it lists those who left too); with no
    // message fetched there is nothing to filter and nothing to show, so no read at all.
    const participants = fetched.length > 0 ? await this.deps.store.listParticipants(c.id) : [];
    const me = participants.find((p) => p.userId === userId) ?? null;
    const leftAt = me === null ? 0 : (me.leftAt?.getTime() ?? null);
    const rows = leftAt === null ? fetched : fetched.filter((m) => m.createdAt.getTime() <= leftAt);
    if (rows.length < fetched.length) budget = Math.min(budget, rows.length);
    const page = rows.slice(0, budget);
    const views = await this.deps.messages.views(c.id, page, participants, userId);
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

  /**
   * The conversation's position as a new cursor may claim it: its last seq, unless sends were
   * reserved moments ago and may still be being written — then the end of the run of stored
   * messages before them, so a message in flight now is never behind the cursor.
   */
  private async settledPosition(c: Conversation, now: Date): Promise<number> {
    const lastAt = c.lastMessageAt?.getTime() ?? 0;
    if (c.lastSeq === 0 || now.getTime() - lastAt > HOLE_GRACE_MS) return c.lastSeq;
    const from = Math.max(0, c.lastSeq - RECENT_WINDOW);
    let position = from;
    for (const m of await this.deps.store.listMessagesAfter(c.id, from, RECENT_WINDOW)) {
      if (m.seq !== position + 1) break;
      position = m.seq;
    }
    return position;
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
