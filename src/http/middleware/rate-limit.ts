// REST rate limits: every request per client IP (before any work), and writes per user (after
// authentication). Budgets are shared by every node; a refusal is a 429 with Retry-After and
// the RateLimit-* headers, set by the error handler from the RATE_LIMITED error.
import type { RequestHandler } from 'express';
import { callerOf } from './authenticate';

/** What a REST limiter needs from a budget: spend one point or reject with RATE_LIMITED. */
export interface RequestQuota {
  consume(key: string): Promise<unknown>;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function limitRequestsPerIp(quota: RequestQuota): RequestHandler {
  return async (req, _res, next) => {
    await quota.consume(req.ip ?? 'unknown');
    next();
  };
}

/** Mounted after `authenticate`: POST, PATCH and DELETE spend the caller's write budget. */
export function limitWritesPerUser(quota: RequestQuota): RequestHandler {
  return async (req, res, next) => {
    if (!READS.has(req.method)) await quota.consume(callerOf(res).id);
    next();
  };
}
