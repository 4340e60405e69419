// The change lists a SYNC reads after its cursor: from the store in one round trip when it can
// (Store.listSyncChanges), otherwise list by list, all at once — each read a snapshot of its own
// either way, which SYNC allows for (changes may repeat; they are idempotent).
import type { Store, SyncChanges, SyncChangesQuery } from '../ports';

export function readSyncChanges(store: Store, q: SyncChangesQuery): Promise<SyncChanges> {
  if (store.listSyncChanges) return store.listSyncChanges(q);
  return readListByList(store, q);
}

/** Each list through its own method: what listSyncChanges must equal. */
export async function readListByList(store: Store, q: SyncChangesQuery): Promise<SyncChanges> {
  const { conversationIds: ids, since, limits } = q;
  const [edits, receipts, memberships, left, mutes, pins, reactions] = await Promise.all([
    store.listMessageEditsSince(ids, q.editsAfter, limits.edits),
    store.listReceiptsChangedSince(ids, since, limits.receipts),
    store.listMembershipChangesSince(ids, since, limits.memberships),
    store.listConversationsLeftSince(q.userId, since),
    store.listMuteChangesSince(q.userId, since),
    store.listPinChangesSince(ids, since, limits.pins),
    store.listReactionChangesSince(ids, since, limits.reactions),
  ]);
  return { edits, receipts, memberships, left, mutes, pins, reactions };
}
