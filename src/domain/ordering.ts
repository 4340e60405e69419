// Message order: (createdAt, id) ascending. Ids break ties when many messages share a millisecond.
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

export const watermarkKey = (w: Watermark): OrderKey => ({
  createdAt: w.createdAt,
  id: w.messageId,
});

/** True when the key is at or before the watermark (a null watermark covers nothing). */
export const isCoveredBy = (key: OrderKey, watermark: Watermark | null): boolean =>
  watermark !== null && compareKeys(key, watermarkKey(watermark)) <= 0;
