// SYNC: what a reconnecting client missed — new, edited and deleted messages of the user's
// current conversations in change order, and the receipts (watermark moves) since the cursor.
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { compareKeys, type OrderKey } from '../domain/ordering';
import { aggregateStatus } from '../domain/receipts';
import type { Message, Participant } from '../domain/types';
import type { ServerPayload } from '../protocol/frames';
import type { Clock, Store } from '../ports';
import type { MessageService } from './message-service';
import { toMessageFrame } from './views';

/** Conversations scanned per SYNC; a user in more sees the most recently active ones. */
const MAX_CONVERSATIONS = 1000;
/** Receipt changes reported per SYNC (each names a participant's current watermarks). */
const MAX_RECEIPTS = 200;
/** Own recent messages whose status a receipt change re-reports, per conversation. */
const STATUS_WINDOW = 20;
/**
 * A cursor that is "now" is set this far back, so a write racing the SYNC is sent again next
 * time rather than missed (events are idempotent by id).
 */
const SAFETY_MARGIN_MS = 1000;
const LOWEST_ID = '0'.repeat(24);

type SyncEvent = Record<string, unknown>;

export class SyncService {
  constructor(private readonly deps: { store: Store; messages: MessageService; clock: Clock }) {}

  async sync(
    userId: string,
    since: string | null | undefined,
    limit = 100,
  ): Promise<ServerPayload<'SYNC_RESULT'>> {
    const { store } = this.deps;
    const startedAt = this.deps.clock();
    const after = since ? decodeCursor(since) : null;
    const conversationIds = (
      await store.listConversationsOfUser(userId, null, MAX_CONVERSATIONS)
    ).map((c) => c.id);
    const changed = await store.listMessagesChangedSince(conversationIds, after, limit + 1);
    const hasMore = changed.length > limit;
    const page = changed.slice(0, limit);

    const events = await this.messageEvents(page);
    // Receipts: every watermark move since the cursor; on a first SYNC, those of the conversations
    // the page touches.
    const receipts =
      after === null
        ? (
            await Promise.all(
              [...new Set(page.map((m) => m.conversationId))].map((id) =>
                store.listParticipants(id),
              ),
            )
          ).flat()
        : await store.listReceiptsChangedSince(conversationIds, after.createdAt, MAX_RECEIPTS);
    events.push(...(await this.receiptEvents(userId, receipts)));

    const last = page[page.length - 1];
    let next: OrderKey | null = last ? { createdAt: last.changedAt, id: last.id } : after;
    let more = hasMore;
    // Too many receipts for one answer: stop just before the last one returned, so the next
    // SYNC picks up the rest (some are sent twice; receipts are idempotent).
    const lastReceipt =
      receipts.length >= MAX_RECEIPTS ? receipts[receipts.length - 1]?.receiptsAt : null;
    if (lastReceipt) {
      const upTo = { createdAt: new Date(lastReceipt.getTime() - 1), id: LOWEST_ID };
      if (next === null || compareKeys(upTo, next) < 0) next = upTo;
      more = true;
    }
    if (!more) {
      const now = { createdAt: new Date(startedAt.getTime() - SAFETY_MARGIN_MS), id: LOWEST_ID };
      if (next === null || compareKeys(now, next) > 0) next = now;
    }
    return { events, next_cursor: next ? encodeCursor(next) : null, has_more: more };
  }

  private async messageEvents(page: Message[]): Promise<SyncEvent[]> {
    const byConversation = new Map<string, Message[]>();
    for (const m of page)
      byConversation.set(m.conversationId, [...(byConversation.get(m.conversationId) ?? []), m]);
    const frames = new Map<string, SyncEvent>();
    for (const [conversationId, list] of byConversation) {
      for (const view of await this.deps.messages.views(conversationId, list)) {
        const type = view.deleted_at
          ? 'MESSAGE_DELETED'
          : view.updated_at
            ? 'MESSAGE_UPDATED'
            : 'NEW_MESSAGE';
        frames.set(view.id, { type, ...toMessageFrame(view) });
      }
    }
    return page.map((m) => frames.get(m.id)).filter((f): f is SyncEvent => f !== undefined);
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
    const events: SyncEvent[] = current
      .filter((p) => p.seen !== null)
      .map((p) => ({
        type: 'MESSAGE_SEEN',
        conversationId: p.conversationId,
        userId: p.userId,
        username: names.get(p.userId) ?? null,
        lastSeenMessageId: p.seen?.messageId,
      }));
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
}
