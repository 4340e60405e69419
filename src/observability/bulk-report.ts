// Events too frequent to log one by one (a node shedding load refuses thousands a second): counted,
// and logged once per interval with how many there were.
import type { Logger } from './logger';

export interface BulkReport {
  /** One more event. */
  count: () => void;
}

export function bulkReport(logger: Logger, what: string, intervalMs = 10_000): BulkReport {
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  return {
    count: () => {
      pending++;
      if (timer) return;
      timer = setTimeout(() => {
        logger.warn({ count: pending, seconds: intervalMs / 1000 }, what);
        pending = 0;
        timer = null;
      }, intervalMs);
      timer.unref();
    },
  };
}
