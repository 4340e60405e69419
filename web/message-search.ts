// The message hits under the sidebar's search box: messages of my conversations holding every
// word typed (PROTOCOL §5.14); picking one opens its conversation.
import type { MessagePublic } from '../src/client';
import type { Rest } from './api';
import { h, shortTime } from './dom';

/** Rows for the hits of `q` (none when it has no word, or the server refuses it). */
export async function messageHitRows(
  rest: Rest,
  q: string,
  open: (conversationId: string) => void,
): Promise<HTMLElement[]> {
  if (!/[\p{L}\p{N}]/u.test(q)) return [];
  const page = await rest.searchMessages(q).catch(() => null);
  const hits: MessagePublic[] = page?.data ?? [];
  if (hits.length === 0) return [];
  return [
    h('div', { class: 'hint pad' }, 'Messages'),
    ...hits.map((m) =>
      h(
        'button',
        {
          type: 'button',
          class: 'result',
          'data-testid': 'message-hit',
          onclick: () => {
            open(m.conversation_id);
          },
        },
        h('span', {}, `${m.sender_username ?? '?'}: ${m.content ?? ''}`),
        h('span', { class: 'hint' }, shortTime(m.created_at)),
      ),
    ),
  ];
}
