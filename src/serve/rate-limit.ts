/*
 * Token buckets: one per client key and one global. A bucket holds up to `burst` tokens and
 * refills at `perSecond`; a request takes one. Invariant: at most `maxKeys` buckets are kept;
 * beyond that the oldest buckets (Map insertion order) are dropped, which at worst grants an
 * evicted client a fresh burst: a flood from many addresses is bounded by the global bucket.
 */

export interface RateLimits {
  burst: number;
  perSecond: number;
  globalBurst: number;
  globalPerSecond: number;
  maxKeys: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly global: Bucket;

  constructor(private readonly limits: RateLimits) {
    this.global = { tokens: limits.globalBurst, updated: 0 };
  }

  /** Takes one token for `key` (and one from the global bucket); false when either is empty. */
  take(key: string, now: number): boolean {
    refill(this.global, now, this.limits.globalBurst, this.limits.globalPerSecond);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.limits.maxKeys) this.evict();
      bucket = { tokens: this.limits.burst, updated: now };
      this.buckets.set(key, bucket);
    } else {
      refill(bucket, now, this.limits.burst, this.limits.perSecond);
    }
    if (bucket.tokens < 1 || this.global.tokens < 1) return false;
    bucket.tokens -= 1;
    this.global.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    let drop = Math.max(1, Math.floor(this.limits.maxKeys / 10));
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (--drop === 0) break;
    }
  }
}

function refill(bucket: Bucket, now: number, burst: number, perSecond: number): void {
  const elapsed = Math.max(0, now - bucket.updated) / 1000;
  bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond);
  bucket.updated = now;
}
