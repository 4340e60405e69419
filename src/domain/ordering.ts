// Orders. Messages sort by their per-conversation `seq`; other lists (conversations by activity,
// edits by change time) sort by (time, id), ids breaking ties within a millisecond.
import type { Watermark } from './types';

export interface OrderKey {
  createdAt: Date;
  id: string;
}

/** Negative when a sorts before b, positive after, 0 when equal. */
export function compareKeys(a: OrderKey, b: OrderKey): number {
  const dt = a.createdAt.getTime() - b.createdAt.getTime();
  if (dt !== 0) return dt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** True when the message at `seq` is at or before the watermark (a null watermark covers nothing). */
export const isCoveredBy = (seq: number, watermark: Watermark | null): boolean =>
  watermark !== null && seq <= watermark.seq;
