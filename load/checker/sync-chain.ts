// One SYNC chain of a device: from the positions it holds and/or its last cursor (chosen at
// random), paging with next_cursor until has_more=false, applying every event in order.
import type { Connection, Frame } from './connection';
import type { Journal } from './journal';
import type { Rng } from './rng';
import { messageOfFrame, type DeviceView } from './view';

/** Runs the chain; resolves with the cursor to resume from next time. */
export async function runSyncChain(
  conn: Connection,
  view: DeviceView,
  journal: Journal,
  rng: Rng,
  lastCursor: string | null,
): Promise<string | null> {
  const mode =
    lastCursor === null ? 'positions' : rng.pick(['positions', 'since', 'both'] as const);
  const positions = view.positions();
  const limit = rng.pick([20, 100, 500]);
  let request: Frame = { type: 'SYNC', limit };
  if (mode !== 'since') request.positions = positions;
  if (mode !== 'positions') request.since = lastCursor;
  const firstSeq = new Map<string, number>();
  let cursor = lastCursor;
  for (let page = 0; page < 500; page++) {
    const reply = await conn.request(
      request,
      (f) => f.type === 'SYNC_RESULT' || (f.type === 'ERROR' && f.tempId === undefined),
      15_000,
    );
    if (reply.type === 'ERROR') {
      journal.error('sync', String(reply.code));
      // An unknown or expired cursor: the next chain starts from positions alone.
      if (reply.code === 'VALIDATION' && request.since)
        throw new CursorRejected(String(reply.message));
      throw new Error(`SYNC: ${reply.code}`);
    }
    applySyncResult(view, reply, page === 0 && mode !== 'since' ? positions : null, firstSeq);
    cursor = (reply.next_cursor as string | null) ?? cursor;
    if (!reply.has_more) break;
    request = { type: 'SYNC', since: reply.next_cursor, limit };
  }
  for (const [conversationId, seq] of firstSeq) view.anchor(conversationId, seq);
  journal.count(`sync ${mode}`);
  return cursor;
}

/** The server refused the cursor: resume from positions. */
export class CursorRejected extends Error {}

/**
 * Applies one SYNC_RESULT. `given`: the positions this page was asked from (a message at or
 * below one is an overreach); `firstSeq` collects where each conversation's walk started.
 */
function applySyncResult(
  view: DeviceView,
  reply: Frame,
  given: Record<string, number> | null,
  firstSeq: Map<string, number>,
): void {
  const now = Date.now();
  const lastInResult = new Map<string, number>();
  for (const e of reply.events as Frame[]) {
    const conversationId = String(e.conversationId);
    if (e.type === 'NEW_MESSAGE' || e.type === 'SEQ_GAP') {
      const seq = Number(e.type === 'NEW_MESSAGE' ? e.seq : e.fromSeq);
      if (!firstSeq.has(conversationId)) firstSeq.set(conversationId, seq);
      const prev = lastInResult.get(conversationId) ?? 0;
      if (seq <= prev)
        view.note('out-of-order', `SYNC_RESULT conv ${conversationId}: seq ${seq} after ${prev}`);
      lastInResult.set(conversationId, e.type === 'SEQ_GAP' ? Number(e.toSeq) : seq);
      const held = given?.[conversationId];
      if (held !== undefined && seq <= held) {
        view.note(
          'sync-overreach',
          `SYNC from position ${held} of ${conversationId} returned seq ${seq}`,
        );
      }
    }
    if (e.type === 'NEW_MESSAGE') view.applyMessage(messageOfFrame(e), 'sync', 0, now);
    else if (e.type === 'SEQ_GAP')
      view.applyGap(conversationId, Number(e.fromSeq), Number(e.toSeq));
    else if (e.type === 'MESSAGE_UPDATED') {
      view.applyEdit(String(e.messageId), {
        content: e.content ?? null,
        updatedAt: e.updatedAt ?? null,
        deleted: false,
      });
    } else if (e.type === 'MESSAGE_DELETED') {
      view.applyEdit(String(e.messageId), {
        content: null,
        updatedAt: e.deletedAt ?? null,
        deleted: true,
      });
    }
  }
}
