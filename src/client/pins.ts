// Pins for the typed client: the list is GET /api/v1/messages/conversations/{id}/pins
// (docs/PROTOCOL.md §5.13) over fetch, newest pin first; a refusal rejects with its code.
// Pinning and unpinning go over the socket (PIN_MESSAGE / UNPIN_MESSAGE, see ParleyClient).
import type { PinnedMessage } from '../protocol/rest';
import { ParleyClientError } from './errors';

interface PinsAnswer {
  success: boolean;
  data?: PinnedMessage[];
  code?: string;
  detail?: string;
}

export async function listPins(
  server: { url: string; token: string },
  conversationId: string,
): Promise<PinnedMessage[]> {
  const base = server.url.replace(/\/$/, '');
  const path = `/api/v1/messages/conversations/${encodeURIComponent(conversationId)}/pins`;
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${server.token}` } });
  const answer = (await res.json()) as PinsAnswer;
  if (res.ok && answer.success && answer.data) return answer.data;
  const retryAfterSeconds = Number(res.headers.get('retry-after'));
  throw new ParleyClientError(
    answer.code ?? 'INTERNAL',
    answer.detail ?? `listing pins failed (${res.status})`,
    retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : undefined,
  );
}
