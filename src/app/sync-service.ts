// SYNC: what a reconnecting client missed — new, edited and deleted messages of the user's
// current conversations in change order, with each conversation's seen receipts.
import { decodeCursor, encodeCursor } from '../domain/cursor';
import type { Message } from '../domain/types';
import type { ServerPayload } from '../protocol/frames';
import type { Store } from '../ports';
import type { MessageService } from './message-service';
import { toMessageFrame } from './views';

/** Conversations scanned per SYNC; a user in more sees the most recently active ones. */
const MAX_CONVERSATIONS = 1000;

export class SyncService {
  constructor(private readonly deps: { store: Store; messages: MessageService }) {}

  async sync(
    userId: string,
    since: string | null | undefined,
    limit = 100,
  ): Promise<ServerPayload<'SYNC_RESULT'>> {
    const { store, messages } = this.deps;
    const after = since ? decodeCursor(since) : null;
    const conversations = await store.listConversationsOfUser(userId, null, MAX_CONVERSATIONS);
    const changed = await store.listMessagesChangedSince(
      conversations.map((c) => c.id),
      after,
      limit + 1,
    );
    const hasMore = changed.length > limit;
    const page = changed.slice(0, limit);

    const byConversation = new Map<string, Message[]>();
    for (const m of page)
      byConversation.set(m.conversationId, [...(byConversation.get(m.conversationId) ?? []), m]);
    const frames = new Map<string, Record<string, unknown>>();
    const receipts: Record<string, unknown>[] = [];
    for (const [conversationId, list] of byConversation) {
      const views = await messages.views(conversationId, list);
      for (const view of views) {
        const type = view.deleted_at
          ? 'MESSAGE_DELETED'
          : view.updated_at
            ? 'MESSAGE_UPDATED'
            : 'NEW_MESSAGE';
        frames.set(view.id, { type, ...toMessageFrame(view) });
      }
      receipts.push(...(await this.seenReceipts(conversationId, userId)));
    }
    const last = page[page.length - 1];
    return {
      events: [...page.map((m) => frames.get(m.id)).filter((f) => f !== undefined), ...receipts],
      next_cursor: last
        ? encodeCursor({ createdAt: last.changedAt, id: last.id })
        : (since ?? null),
      has_more: hasMore,
    };
  }

  /** Where each other participant's seen watermark stands, as MESSAGE_SEEN frames. */
  private async seenReceipts(
    conversationId: string,
    userId: string,
  ): Promise<Record<string, unknown>[]> {
    const participants = (await this.deps.store.listParticipants(conversationId)).filter(
      (p) => p.leftAt === null && p.userId !== userId && p.seen !== null,
    );
    const users = await this.deps.store.findUsersByIds(participants.map((p) => p.userId));
    const names = new Map(users.map((u) => [u.id, u.username]));
    return participants.map((p) => ({
      type: 'MESSAGE_SEEN',
      conversationId,
      userId: p.userId,
      username: names.get(p.userId) ?? null,
      lastSeenMessageId: p.seen?.messageId,
    }));
  }
}
