// Cluster-wide rate limits on rate-limiter-flexible: with REDIS_URL every node spends from one
// budget per user or IP (RateLimiterRedis); without it the budget lives in this process
// (RateLimiterMemory), which is exact for the single embedded node.
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Config } from '../../config';
import { AppError, UnavailableError } from '../../domain/errors';
import type { Logger } from '../../observability/logger';

/** A budget's standing after a request was admitted. */
export interface QuotaState {
  /** Points per window (the burst). */
  limit: number;
  remaining: number;
  /** Until the window refills. */
  resetMs: number;
}

/** One budget per key (user id, IP). */
export interface Quota {
  /**
   * Spends one point of `key`'s budget. Rejects with AppError RATE_LIMITED carrying
   * `retryAfterMs` and `details: {limit, remaining: 0, resetMs}` once the window is spent.
   */
  consume(key: string): Promise<QuotaState>;
}

export interface RateLimiters {
  /** SEND_MESSAGE and REST sends, per user (RATE_LIMIT_MESSAGES_*). */
  sends: Quota;
  /** The shape MessageService takes: throws RATE_LIMITED when the user's send budget is spent. */
  sendLimiter: { consume(userId: string): Promise<void> };
  /** TYPING frames per user (RATE_LIMIT_TYPING_*). */
  typing: Quota;
  /** REST POST/PATCH/DELETE per user (RATE_LIMIT_WRITES_*). */
  restWrites: Quota;
  /** Every REST request per client IP (RATE_LIMIT_IP_*). */
  ipRequests: Quota;
  close(): Promise<void>;
}

interface Policy {
  name: string;
  what: string;
  ratePerSecond: number;
  burst: number;
}

/**
 * A rate with bursts as one fixed window: `burst` points per `burst / rate` seconds. The average
 * stays at `rate` and a quiet client may spend the whole burst at once; one atomic Redis call per
 * request. (A window edge can let two bursts through back to back; that bound is accepted.)
 */
const windowSeconds = (p: Policy): number => Math.max(1, Math.ceil(p.burst / p.ratePerSecond));

class FlexibleQuota implements Quota {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly policy: Policy,
  ) {}

  async consume(key: string): Promise<QuotaState> {
    try {
      const res = await this.limiter.consume(key);
      return {
        limit: this.policy.burst,
        remaining: res.remainingPoints,
        resetMs: res.msBeforeNext,
      };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterMs = Math.max(1, Math.ceil(rejection.msBeforeNext));
        throw new AppError(
          'RATE_LIMITED',
          `too many ${this.policy.what}; slow down`,
          { limit: this.policy.burst, remaining: 0, resetMs: retryAfterMs },
          retryAfterMs,
        );
      }
      // Only reachable when both Redis and the in-memory insurance failed.
      throw new UnavailableError('rate limiter', rejection);
    }
  }
}

type LimitsConfig = Pick<Config, 'redisUrl' | 'redisChannelPrefix' | 'limits'>;

function policiesOf(
  limits: Config['limits'],
): Record<'sends' | 'typing' | 'restWrites' | 'ipRequests', Policy> {
  return {
    sends: {
      name: 'send',
      what: 'messages',
      ratePerSecond: limits.messagesPerSecond,
      burst: limits.messagesBurst,
    },
    typing: {
      name: 'typing',
      what: 'typing signals',
      ratePerSecond: limits.typingPerSecond,
      burst: limits.typingBurst,
    },
    restWrites: {
      name: 'write',
      what: 'writes',
      ratePerSecond: limits.writesPerSecond,
      burst: limits.writesBurst,
    },
    ipRequests: {
      name: 'ip',
      what: 'requests',
      ratePerSecond: limits.ipRequestsPerSecond,
      burst: limits.ipRequestsBurst,
    },
  };
}

/** Builds every limiter from the config; connects to Redis first when REDIS_URL is set. */
export async function openRateLimiters(
  config: LimitsConfig,
  logger: Logger,
): Promise<RateLimiters> {
  let redis: Redis | null = null;
  if (config.redisUrl) {
    const { Redis: RedisClient } = await import('ioredis');
    // No offline queue: while Redis is away a request must not wait on it (see insurance below).
    const client = new RedisClient(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // The sends of one event-loop turn share one socket write (one EVALSHA each still).
      enableAutoPipelining: true,
    });
    // ioredis reconnects by itself; an unhandled 'error' event would crash the process.
    client.on('error', (err: unknown) => {
      logger.warn({ err }, 'rate-limit redis connection error');
    });
    await client.connect();
    redis = client;
  }

  const build = (policy: Policy): Quota => {
    // The prefix keeps clusters that share one Redis (tests, staging) from sharing budgets.
    const base = {
      keyPrefix: `${config.redisChannelPrefix}:rl:${policy.name}`,
      points: policy.burst,
      duration: windowSeconds(policy),
    };
    if (!redis) return new FlexibleQuota(new RateLimiterMemory(base), policy);
    const limiter = new RateLimiterRedis({
      ...base,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      // While Redis is unreachable each node enforces the same budget alone, instead of failing
      // every request or letting everything through.
      insuranceLimiter: new RateLimiterMemory(base),
      // A key over its budget is refused from memory until its window ends: a flood costs this
      // node nothing in Redis round trips.
      inMemoryBlockOnConsumed: policy.burst + 1,
    });
    return new FlexibleQuota(limiter, policy);
  };

  const policies = policiesOf(config.limits);
  const sends = build(policies.sends);
  return {
    sends,
    sendLimiter: {
      consume: async (userId) => {
        await sends.consume(userId);
      },
    },
    typing: build(policies.typing),
    restWrites: build(policies.restWrites),
    ipRequests: build(policies.ipRequests),
    close: async () => {
      await redis?.quit().catch((err: unknown) => {
        logger.debug({ err }, 'rate-limit redis was already closed');
      });
    },
  };
}
