// Success envelopes: `{success, data}`, and for lists the cursor beside `data`.
import type { Response } from 'express';
import type { PageOf } from '../protocol/rest';

export function ok(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ success: true, data });
}

export function page<T>(res: Response, p: PageOf<T>): void {
  res
    .status(200)
    .json({ success: true, data: p.items, next_cursor: p.nextCursor, has_more: p.hasMore });
}
