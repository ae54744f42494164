/**
 * Per-line token buckets, as the provider paces a leased line: `ratePerSecond`
 * sustained with bursts up to `burst`. O(1) per send.
 */
export interface PacingConfig {
  ratePerSecond: number;
  burst: number;
}

export class LinePacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly cfg: PacingConfig) {}

  /** Take a token for `line`; when none is left, how long until one is. */
  take(line: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    let b = this.buckets.get(line);
    if (!b) {
      b = { tokens: this.cfg.burst, at: now };
      this.buckets.set(line, b);
    }
    b.tokens = Math.min(this.cfg.burst, b.tokens + ((now - b.at) / 1000) * this.cfg.ratePerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.cfg.ratePerSecond) * 1000) };
  }
}
