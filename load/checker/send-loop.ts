// A device's SEND_MESSAGE until it is acked: the same tempId on every attempt (the server must
// answer a retry with the original message), across reconnects, with back-off on UNAVAILABLE and
// RATE_LIMITED, given up after a bound.
import { ConnectionClosed, RequestTimeout, type Connection, type Frame } from './connection';
import type { Journal, SendRecord } from './journal';
import { sleep } from './proc';

/** A send with no ack this long after its first attempt is given up. */
const SEND_GIVE_UP_MS = 45_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** INTERNAL is retried too (and reported as a violation on its own). */
const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

export interface SendLoopDeps {
  conn: () => Connection | null;
  waitConnected: (timeoutMs: number) => Promise<void>;
  journal: Journal;
  onAck: (ack: Frame, conn: Connection) => void;
}

export async function sendUntilAcked(rec: SendRecord, deps: SendLoopDeps): Promise<void> {
  while (rec.ackedAt === null) {
    if (Date.now() - rec.issuedAt > SEND_GIVE_UP_MS) {
      rec.gaveUp = true;
      return;
    }
    const conn = deps.conn();
    if (!conn?.open) {
      await deps.waitConnected(2000);
      continue;
    }
    rec.attempts++;
    const frame = {
      type: 'SEND_MESSAGE',
      conversationId: rec.conversationId,
      content: rec.content,
      tempId: rec.tempId,
    };
    let reply: Frame;
    try {
      reply = await conn.request(
        frame,
        (f) => (f.type === 'MESSAGE_ACK' || f.type === 'ERROR') && f.tempId === rec.tempId,
        REQUEST_TIMEOUT_MS,
      );
    } catch (err) {
      if (err instanceof RequestTimeout) deps.journal.error('send', 'no reply (timeout)');
      else if (!(err instanceof ConnectionClosed)) throw err;
      continue;
    }
    if (reply.type === 'MESSAGE_ACK') {
      deps.onAck(reply, conn);
      return;
    }
    const code = String(reply.code);
    rec.errors.push(code);
    deps.journal.error('send', code);
    if (!RETRYABLE.has(code)) {
      rec.gaveUp = true;
      return;
    }
    await sleep(typeof reply.retryAfterMs === 'number' ? Math.min(reply.retryAfterMs, 5000) : 500);
  }
}
