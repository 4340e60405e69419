// The embedded store's tables: plain maps in this process, shared by its per-aggregate parts.
import type { Block, Conversation, Message, Participant, User } from '../../../domain/types';

/**
 * Records are copied in and out so callers can never mutate stored state by accident. They are
 * plain data (objects, arrays, Dates, primitives), which a direct walk copies several times faster
 * than structuredClone's general algorithm — the embedded send path copies a few records per
 * message. Anything else falls back to structuredClone.
 */
export function copy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyValue);
  if (value instanceof Date) return new Date(value.getTime());
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  // A spread keeps the record's shape (and its primitives) in one step; only nested values
  // (Dates, arrays, objects) are copied one by one.
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(out)) {
    const field = out[key];
    if (typeof field === 'object' && field !== null) out[key] = copyValue(field);
  }
  return out;
}

/**
 * A sync cursor as the embedded store keeps it: every connection's greeting saves one, so the instants are kept as
 * milliseconds (three Dates are ~0.3 KiB) and no positions as null.
 */
export interface StoredSyncCursor {
  userId: string;
  positions: Record<string, number> | null;
  changesSince: number;
  createdAt: number;
  expiresAt: number;
}

export class MemoryState {
  readonly users = new Map<string, User>();
  readonly conversations = new Map<string, Conversation>();
  /** conversationId → userId → participant */
  readonly participants = new Map<string, Map<string, Participant>>();
  /** userId → conversation ids the user has a participant record in */
  readonly conversationsByUser = new Map<string, Set<string>>();
  readonly messages = new Map<string, Message>();
  /** conversationId → its messages sorted by seq */
  readonly timelines = new Map<string, Message[]>();
  /** message id → until when a relay has claimed its pending event (0: unclaimed) */
  readonly pendingEvents = new Map<string, number>();
  /** Insertion-ordered, so the oldest cursors are dropped first past the bound. */
  readonly syncCursors = new Map<string, StoredSyncCursor>();
  /** block id → block */
  readonly blocks = new Map<string, Block>();
}
