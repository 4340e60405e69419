// Opaque pagination cursors over an order key (a timestamp and an id), base64url JSON.
import { AppError } from './errors';
import { isObjectId } from './ids';
import type { OrderKey } from './ordering';

export function encodeCursor(key: OrderKey): string {
  return Buffer.from(JSON.stringify({ t: key.createdAt.getTime(), id: key.id })).toString(
    'base64url',
  );
}

/** Decodes a cursor made by encodeCursor; anything else is a VALIDATION error. */
export function decodeCursor(cursor: string): OrderKey {
  const invalid = new AppError('VALIDATION', 'cursor is malformed');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid;
  const { t, id } = parsed as { t?: unknown; id?: unknown };
  // 8.64e15 ms is the largest time a Date can hold.
  if (
    typeof t !== 'number' ||
    !Number.isSafeInteger(t) ||
    t < 0 ||
    t > 8.64e15 ||
    !isObjectId(id)
  ) {
    throw invalid;
  }
  return { createdAt: new Date(t), id };
}

/** A message-page cursor: the seq of the oldest message already shown. */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ s: seq })).toString('base64url');
}

export function decodeSeqCursor(cursor: string): number {
  const invalid = new AppError('VALIDATION', 'cursor is malformed');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const s = typeof parsed === 'object' && parsed !== null ? (parsed as { s?: unknown }).s : null;
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1) throw invalid;
  return s;
}
