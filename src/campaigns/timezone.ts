const canonical = new Map<string, string | null>();

/**
 * The canonical IANA name of a time zone Intl knows ("america/new_york" →
 * "America/New_York"), or undefined. Cached: constructing Intl formatters is
 * slow and the same few zones repeat on every row of an import.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  let hit = canonical.get(tz);
  if (hit === undefined) {
    hit = null;
    if (tz.trim() !== '') {
      try {
        hit = new Intl.DateTimeFormat('en-US', { timeZone: tz.trim() }).resolvedOptions().timeZone;
      } catch {
        hit = null;
      }
    }
    if (canonical.size < 10_000) canonical.set(tz, hit);
  }
  return hit ?? undefined;
}

export function isValidTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== undefined;
}
