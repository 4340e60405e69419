// Pins for the typed client: the list is GET /api/v1/messages/conversations/{id}/pins
// (docs/PROTOCOL.md §5.13), newest pin first; a refusal rejects with its code. Pinning and
// unpinning go over the socket (PIN_MESSAGE / UNPIN_MESSAGE, see ParleyClient).
import type { PinnedMessage } from '../protocol/rest';
import { restCall, type RestServer } from './rest-call';

export async function listPins(
  server: RestServer,
  conversationId: string,
): Promise<PinnedMessage[]> {
  const path = `/conversations/${encodeURIComponent(conversationId)}/pins`;
  return (await restCall<PinnedMessage[]>(server, 'GET', path, 'listing pins')).data;
}
