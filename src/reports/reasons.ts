/**
 * Failure reasons grouped by cause. The provider's message often names the
 * person ("+17025550123 is not reachable") or a request id, which would make
 * every failure of one cause a group of its own. Phone numbers, UUIDs and long
 * ids are replaced by placeholders; short numbers (HTTP statuses, provider
 * codes such as 400 or E21) stay, since they tell causes apart.
 */
const PATTERNS: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  // E.164 and formatted numbers: +1 702 555 0123, (702) 555-0123, 7025550123
  [/\+\d[\d ().-]{6,}\d/g, '<phone>'],
  [/\(\d{3}\)\s?\d{3}[-. ]?\d{4}\b/g, '<phone>'],
  [/\b\d{3}[-. ]\d{3}[-. ]\d{4}\b/g, '<phone>'],
  [/\b\d{7,15}\b/g, '<phone>'],
  // prefixed ids (msg_…, req-…), long hex or base62 tokens with digits
  [/\b[a-z]{2,6}[_-](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,}\b/gi, '<id>'],
  [/\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{16,}\b/g, '<id>'],
];

export function failureCause(reason: string): string {
  let out = reason;
  for (const [re, placeholder] of PATTERNS) out = out.replace(re, placeholder);
  return out.replace(/\s+/g, ' ').trim() || 'unknown';
}

export interface FailureGroup {
  /** The reason with numbers and ids taken out. */
  cause: string;
  count: number;
  /** One reason as recorded, the most frequent of the group. */
  example: string;
}

export function groupFailureReasons(rows: Iterable<{ reason: string; count: number }>): FailureGroup[] {
  const groups = new Map<string, { count: number; examples: Map<string, number> }>();
  for (const { reason, count } of rows) {
    if (count <= 0) continue;
    const cause = failureCause(reason);
    const g = groups.get(cause) ?? { count: 0, examples: new Map<string, number>() };
    g.count += count;
    g.examples.set(reason, (g.examples.get(reason) ?? 0) + count);
    groups.set(cause, g);
  }
  return [...groups]
    .map(([cause, g]) => ({
      cause,
      count: g.count,
      example: [...g.examples].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0],
    }))
    .sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
}
