// The events of a SYNC answer besides new messages: edits and deletions, receipts, membership
// changes, gaps, and where a cut-short scan of changes resumes.
import { muteState } from '../domain/mute';
import type { Pin } from '../domain/pins';
import { aggregateStatus } from '../domain/receipts';
import type { Message, Participant } from '../domain/types';
import type { SyncResult } from '../protocol/rest';
import type { Store } from '../ports';

export type SyncEvent = SyncResult['events'][number];

/** Own recent messages whose status a receipt change re-reports, per conversation. */
const STATUS_WINDOW = 20;

export function editEvent(m: Message): SyncEvent {
  if (m.deletedAt !== null) {
    return {
      type: 'MESSAGE_DELETED',
      conversationId: m.conversationId,
      messageId: m.id,
      seq: m.seq,
      deletedAt: m.deletedAt.toISOString(),
    };
  }
  return {
    type: 'MESSAGE_UPDATED',
    conversationId: m.conversationId,
    messageId: m.id,
    seq: m.seq,
    content: m.content,
    updatedAt: m.updatedAt?.toISOString() ?? null,
    mentions: m.mentions,
  };
}

/**
 * MESSAGE_SEEN for each participant whose seen watermark is set (the user's own too, for their
 * other devices), and MESSAGE_STATUS for the user's recent messages the receipts advanced.
 */
export async function receiptEvents(
  store: Store,
  userId: string,
  receipts: Participant[],
): Promise<SyncEvent[]> {
  const current = receipts.filter((p) => p.leftAt === null);
  const users = await store.findUsersByIds([...new Set(current.map((p) => p.userId))]);
  const names = new Map(users.map((u) => [u.id, u.username]));
  const events: SyncEvent[] = current.flatMap((p) =>
    p.seen === null
      ? []
      : [
          {
            type: 'MESSAGE_SEEN',
            conversationId: p.conversationId,
            userId: p.userId,
            username: names.get(p.userId) ?? null,
            lastSeenMessageId: p.seen.messageId,
            seq: p.seen.seq,
          },
        ],
  );
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

export const gapEvent = (conversationId: string, fromSeq: number, toSeq: number): SyncEvent => ({
  type: 'SEQ_GAP',
  conversationId,
  fromSeq,
  toSeq,
});

/** Joins and departures after `since` as PARTICIPANTS_CHANGED, one per conversation and kind. */
export function membershipEvents(records: Participant[], since: Date): SyncEvent[] {
  const byConversation = new Map<string, { added: Set<string>; removed: Set<string> }>();
  for (const p of records) {
    const entry = byConversation.get(p.conversationId) ?? { added: new Set(), removed: new Set() };
    byConversation.set(p.conversationId, entry);
    if (p.leftAt !== null && p.leftAt.getTime() > since.getTime()) entry.removed.add(p.userId);
    else if (p.joinedAt.getTime() > since.getTime()) entry.added.add(p.userId);
  }
  return [...byConversation].map(([conversationId, { added, removed }]) => ({
    type: 'PARTICIPANTS_CHANGED',
    conversationId,
    ...(added.size > 0 && { added: [...added] }),
    ...(removed.size > 0 && { removed: [...removed] }),
  }));
}

/** The user's current mute of each conversation whose mute changed (as CONVERSATION_MUTED). */
export const muteEvents = (records: Participant[], now: Date): SyncEvent[] =>
  records.map((p) => {
    const { muted, mutedUntil } = muteState(p, now);
    return {
      type: 'CONVERSATION_MUTED',
      conversationId: p.conversationId,
      muted,
      mutedUntil: mutedUntil?.toISOString() ?? null,
    };
  });

/** Each pin change as the frame live delivery sent (MESSAGE_PINNED or MESSAGE_UNPINNED). */
export const pinEvents = (pins: Pin[]): SyncEvent[] =>
  pins.map((p) =>
    p.unpinnedAt === null
      ? {
          type: 'MESSAGE_PINNED',
          conversationId: p.conversationId,
          messageId: p.messageId,
          userId: p.pinnedBy,
          pinnedAt: p.pinnedAt.toISOString(),
        }
      : {
          type: 'MESSAGE_UNPINNED',
          conversationId: p.conversationId,
          messageId: p.messageId,
          userId: p.unpinnedBy ?? p.pinnedBy,
          unpinnedAt: p.unpinnedAt.toISOString(),
        },
  );

export const membershipChangedAt = (p: Participant): Date =>
  new Date(Math.max(p.joinedAt.getTime(), p.leftAt?.getTime() ?? 0));

/**
 * Where a cut-short change scan resumes: just before the last item of the earliest full list, so
 * the changes that share its millisecond are sent again (they are idempotent) rather than lost.
 * Only a full page of changes all within one millisecond cannot be re-read that way: the scan
 * then steps past that millisecond.
 */
export function resumeChangesAt(fullLists: (Date | null)[][], since: Date): Date {
  const lasts = fullLists
    .map((list) => list[list.length - 1])
    .filter((d): d is Date => d !== null && d !== undefined)
    .map((d) => d.getTime());
  if (lasts.length === 0) return new Date(since.getTime() + 1);
  const last = Math.min(...lasts);
  return new Date(last - 1 > since.getTime() ? last - 1 : Math.max(last, since.getTime() + 1));
}
