// A token bucket: steady `ratePerSecond` with bursts up to `burst`; the caller supplies time.

export interface BucketOptions {
  ratePerSecond: number;
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly options: BucketOptions,
    nowMs: number,
  ) {
    this.tokens = options.burst;
    this.updatedAt = nowMs;
  }

  /** Takes one token if available. */
  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.updatedAt) / 1000;
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.ratePerSecond);
    this.updatedAt = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full again, so its holder may be forgotten. */
  isIdle(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.updatedAt) / 1000;
    return this.tokens + elapsed * this.options.ratePerSecond >= this.options.burst;
  }
}

/** Buckets per key (user id, IP), with idle buckets swept so memory stays bounded. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = 0;

  constructor(private readonly options: BucketOptions) {}

  take(key: string, nowMs: number = Date.now()): boolean {
    if (nowMs - this.lastSweep > 10_000) this.sweep(nowMs);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.options, nowMs);
      this.buckets.set(key, bucket);
    }
    return bucket.take(nowMs);
  }

  private sweep(nowMs: number): void {
    this.lastSweep = nowMs;
    for (const [key, bucket] of this.buckets) if (bucket.isIdle(nowMs)) this.buckets.delete(key);
  }
}
