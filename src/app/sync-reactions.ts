// The reactions part of a SYNC answer: one MESSAGE_REACTIONS per message whose reactions changed
// since the cursor, with the aggregate as it stands now (as the user sees it, `me` included) and
// the message's latest change as `userId` / `emoji` / `action`.
import { aggregateReactions, groupByMessage } from '../domain/reactions';
import type { Reaction } from '../domain/types';
import type { Store } from '../ports';
import type { SyncEvent } from './sync-events';

export async function reactionEvents(
  store: Pick<Store, 'listReactionsOfMessages'>,
  userId: string,
  changes: readonly Reaction[],
): Promise<SyncEvent[]> {
  if (changes.length === 0) return [];
  // Changes come oldest first: the last one per message is its latest.
  const latest = new Map<string, Reaction>();
  for (const r of changes) latest.set(r.messageId, r);
  const current = groupByMessage(await store.listReactionsOfMessages([...latest.keys()]));
  return [...latest.values()].map((r) => ({
    type: 'MESSAGE_REACTIONS',
    conversationId: r.conversationId,
    messageId: r.messageId,
    seq: r.messageSeq,
    userId: r.userId,
    emoji: r.emoji,
    action: r.removedAt === null ? 'added' : 'removed',
    reactions: aggregateReactions(current.get(r.messageId) ?? [], userId),
  }));
}
