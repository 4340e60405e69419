// Message search for the typed client: GET /api/v1/messages/search/messages (docs/PROTOCOL.md
// §5.14) over fetch, the page returned typed; a refusal rejects with its code.
import type { MessagePublic } from '../protocol/rest';
import { ParleyClientError } from './errors';

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

interface SearchAnswer {
  success: boolean;
  data?: MessagePublic[];
  next_cursor?: string | null;
  has_more?: boolean;
  code?: string;
  detail?: string;
}

export async function searchMessages(
  server: { url: string; token: string },
  query: MessageSearchQuery,
): Promise<MessageSearchPage> {
  const params = new URLSearchParams({ q: query.q });
  if (query.conversationId !== undefined) params.set('conversation_id', query.conversationId);
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const url = `${server.url.replace(/\/$/, '')}/api/v1/messages/search/messages?${params.toString()}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${server.token}` } });
  const answer = (await res.json()) as SearchAnswer;
  if (!res.ok || !answer.success || !answer.data) {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new ParleyClientError(
      answer.code ?? 'INTERNAL',
      answer.detail ?? `search failed (${res.status})`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    );
  }
  return {
    messages: answer.data,
    nextCursor: answer.next_cursor ?? null,
    hasMore: answer.has_more ?? false,
  };
}
