// Per-IP request rate limit (token bucket): a flood gets 429 before any work is done.
import type { RequestHandler } from 'express';
import { AppError } from '../../domain/errors';
import { KeyedRateLimiter } from '../../domain/token-bucket';

export function limitRequestsPerIp(ratePerSecond: number, burst: number): RequestHandler {
  const limiter = new KeyedRateLimiter({ ratePerSecond, burst });
  return (req, _res, next) => {
    if (!limiter.take(req.ip ?? 'unknown')) {
      next(new AppError('RATE_LIMITED', 'too many requests'));
      return;
    }
    next();
  };
}
