// MARK_SEEN of the newest message a device holds: over its socket (Socket.IO answers OK, raw
// answers nothing) or REST PATCH …/seen; each mark is journaled for the unread recount.
import { call, type ApiOptions } from './api';
import type { Device } from './client';
import type { Journal, SeenMark } from './journal';

const REQUEST_TIMEOUT_MS = 10_000;

function newestHeld(
  device: Device,
  conversationId: string,
): { messageId: string; seq: number } | null {
  const conv = device.view.conversations.get(conversationId);
  if (!conv || conv.bySeq.size === 0) return null;
  const seq = Math.max(...conv.bySeq.keys());
  return { messageId: conv.bySeq.get(seq)!, seq };
}

function journalMark(
  journal: Journal,
  device: Device,
  conversationId: string,
  held: { messageId: string; seq: number },
): SeenMark {
  const mark: SeenMark = {
    userId: device.userId,
    conversationId,
    ...held,
    at: Date.now(),
    confirmed: false,
  };
  journal.seen.push(mark);
  return mark;
}

export async function markSeen(
  device: Device,
  conversationId: string,
  journal: Journal,
): Promise<void> {
  const conn = device.conn;
  const held = newestHeld(device, conversationId);
  if (!conn?.open || !held) return;
  const mark = journalMark(journal, device, conversationId, held);
  const frame = { type: 'MARK_SEEN', conversationId, messageId: held.messageId };
  if (conn.transport === 'raw') {
    conn.send(frame);
    return;
  }
  try {
    const reply = await conn.request(frame, () => false, REQUEST_TIMEOUT_MS);
    if (reply.type === 'OK') mark.confirmed = true;
    else journal.error('mark_seen', String(reply.code));
  } catch {
    journal.error('mark_seen', 'no reply');
  }
}

export async function restSeen(
  api: ApiOptions,
  device: Device,
  token: string,
  conversationId: string,
  journal: Journal,
): Promise<void> {
  const held = newestHeld(device, conversationId);
  if (!held) return;
  const mark = journalMark(journal, device, conversationId, held);
  const res = await call(
    api,
    'PATCH',
    `/messages/conversations/${conversationId}/seen?message_id=${held.messageId}`,
    token,
  );
  if (res.status === 200) mark.confirmed = true;
  else journal.error('seen rest', String(res.body?.code ?? res.status));
}
