// Message search for the typed client: GET /api/v1/messages/search/messages (docs/PROTOCOL.md
// §5.14), the page returned typed; a refusal rejects with its code.
import type { MessagePublic } from '../protocol/rest';
import { restCall, type RestServer } from './rest-call';

export interface MessageSearchQuery {
  /** The words to find (every one is required). */
  q: string;
  /** Only this conversation. */
  conversationId?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Hits per page, 1–50. @default 20 */
  limit?: number;
}

export interface MessageSearchPage {
  messages: MessagePublic[];
  nextCursor: string | null;
  hasMore: boolean;
}

export async function searchMessages(
  server: RestServer,
  query: MessageSearchQuery,
): Promise<MessageSearchPage> {
  const params = new URLSearchParams({ q: query.q });
  if (query.conversationId !== undefined) params.set('conversation_id', query.conversationId);
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const path = `/search/messages?${params.toString()}`;
  const answer = await restCall<MessagePublic[]>(server, 'GET', path, 'search');
  return {
    messages: answer.data,
    nextCursor: answer.next_cursor ?? null,
    hasMore: answer.has_more ?? false,
  };
}
