// Opaque pagination cursors, base64url JSON: over an order key (a timestamp and an id) for
// conversation lists, over a seq for message pages.
import { AppError } from './errors';
import { isObjectId } from './ids';
import type { OrderKey } from './ordering';

const malformed = (): AppError => new AppError('VALIDATION', 'cursor is malformed');

const encode = (fields: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(fields)).toString('base64url');

/** The fields of a cursor made by `encode`; anything else is a VALIDATION error. */
function decodeFields(cursor: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw malformed();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof parsed !== 'object' || parsed === null) throw malformed();
  return parsed as Record<string, unknown>;
}

export function encodeCursor(key: OrderKey): string {
  return encode({ t: key.createdAt.getTime(), id: key.id });
}

/** Decodes a cursor made by encodeCursor; anything else is a VALIDATION error. */
export function decodeCursor(cursor: string): OrderKey {
  const { t, id } = decodeFields(cursor);
  // 8.64e15 ms is the largest time a Date can hold.
  if (
    typeof t !== 'number' ||
    !Number.isSafeInteger(t) ||
    t < 0 ||
    t > 8.64e15 ||
    !isObjectId(id)
  ) {
    throw malformed();
  }
  return { createdAt: new Date(t), id };
}

/** A message-page cursor: the seq of the oldest message already shown. */
export function encodeSeqCursor(seq: number): string {
  return encode({ s: seq });
}

export function decodeSeqCursor(cursor: string): number {
  const { s } = decodeFields(cursor);
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1) throw malformed();
  return s;
}
