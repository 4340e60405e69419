// Message search (docs/PROTOCOL.md §5.14): the caller's current conversations only (or one of
// them), newest hit first, through the store's own text search. Hits are shown exactly as the
// history page shows them (toMessagePublic via MessageService.views), so search never reveals
// more than history does.
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { searchTermsOf } from '../domain/message-search';
import type { Message } from '../domain/types';
import type { MessagePublic, PageOf } from '../protocol/rest';
import type { Store } from '../ports';
import { requireMembership } from './access';
import type { MessageService } from './message-service';

/** Conversations searched at most (the most recently active ones), as SYNC scans. */
const MAX_CONVERSATIONS = 1000;

export interface MessageSearchRequest {
  /** Trimmed, non-empty. */
  q: string;
  conversationId?: string;
  cursor?: string;
  limit: number;
}

export class MessageSearchService {
  constructor(private readonly deps: { store: Store; messages: Pick<MessageService, 'views'> }) {}

  async search(callerId: string, request: MessageSearchRequest): Promise<PageOf<MessagePublic>> {
    const { store } = this.deps;
    const terms = searchTermsOf(request.q);
    const before = request.cursor === undefined ? null : decodeCursor(request.cursor);
    const conversationIds = await this.searchableConversations(callerId, request.conversationId);
    const rows = await store.searchMessages(conversationIds, terms, before, request.limit + 1);
    const hasMore = rows.length > request.limit;
    const hits = rows.slice(0, request.limit);
    const last = hits[hits.length - 1];
    return {
      items: await this.views(hits),
      hasMore,
      nextCursor: hasMore && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  /** One conversation the caller is in now (404 / 403 otherwise), or all of their current ones. */
  private async searchableConversations(
    callerId: string,
    conversationId: string | undefined,
  ): Promise<string[]> {
    const { store } = this.deps;
    if (conversationId !== undefined) {
      await requireMembership(store, conversationId, callerId);
      return [conversationId];
    }
    const conversations = await store.listConversationsOfUser(callerId, null, MAX_CONVERSATIONS);
    return conversations.map((c) => c.id);
  }

  /** Views per conversation (one participant read each), back in the hits' order. */
  private async views(hits: readonly Message[]): Promise<MessagePublic[]> {
    const byConversation = new Map<string, Message[]>();
    for (const m of hits) {
      const group = byConversation.get(m.conversationId) ?? [];
      group.push(m);
      byConversation.set(m.conversationId, group);
    }
    const views = new Map<string, MessagePublic>();
    await Promise.all(
      [...byConversation].map(async ([conversationId, messages]) => {
        for (const view of await this.deps.messages.views(conversationId, messages))
          views.set(view.id, view);
      }),
    );
    return hits.map((m) => views.get(m.id)).filter((v): v is MessagePublic => v !== undefined);
  }
}
