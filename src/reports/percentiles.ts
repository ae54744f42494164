/**
 * Time-to-delivery percentiles from the log-scale histogram kept in
 * report_series: bucket b holds latencies ms with floor(ln(1 + ms) / ln(1.02))
 * = b, i.e. the range [1.02^b − 1, 1.02^(b+1) − 1). Mirrors percentile_cont:
 * each value is placed inside its bucket and percentile_cont's interpolation
 * between the two values around rank p·(n − 1) is applied to those, so the
 * error stays below the bucket's 2% width.
 */
export const LATENCY_BASE = 1.02;

export function bucketLowerMs(bucket: number): number {
  return Math.pow(LATENCY_BASE, bucket) - 1;
}

export function histogramPercentile(buckets: { bucket: number; n: number }[], p: number): number | null {
  const sorted = buckets.filter((b) => b.n > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((s, b) => s + b.n, 0);
  if (total === 0) return null;
  // The k-th smallest value (0-based), assuming a bucket's n values sit evenly
  // across it: always inside the right bucket, so within its 2% width.
  const nth = (k: number): number => {
    let before = 0;
    for (const b of sorted) {
      if (k < before + b.n) {
        const lo = bucketLowerMs(b.bucket);
        const hi = bucketLowerMs(b.bucket + 1);
        return lo + ((hi - lo) * (k - before + 0.5)) / b.n;
      }
      before += b.n;
    }
    return bucketLowerMs(sorted[sorted.length - 1]!.bucket + 1);
  };
  // percentile_cont: interpolate between the two values around p·(n − 1).
  const rank = p * (total - 1);
  const lower = Math.floor(rank);
  const a = nth(lower);
  return lower === rank ? a : a + (rank - lower) * (nth(lower + 1) - a);
}
