import { createRequire } from 'node:module';
import type HolidaysClass from 'date-holidays';

type Holidays = HolidaysClass;
// date-holidays loads every country's calendar when imported (about a second
// on a busy machine): loaded on first use, so that importing the rules (the
// CLI, a worker that never meets a holiday rule) costs nothing.
let HolidaysCtor: typeof HolidaysClass | undefined;
function load(): typeof HolidaysClass {
  HolidaysCtor ??= createRequire(import.meta.url)('date-holidays') as typeof HolidaysClass;
  return HolidaysCtor;
}

type HolidayType = 'public' | 'bank' | 'school' | 'optional' | 'observance';

const calendars = new Map<string, Holidays>();
const years = new Map<string, Map<string, string>>();

function calendar(code: string): Holidays {
  let hd = calendars.get(code);
  if (!hd) {
    const [country, state] = code.split('-');
    const Ctor = load();
    hd = state ? new Ctor(country!, state) : new Ctor(country!);
    // date-holidays answers for an unknown state with the country's calendar:
    // a typo would silently drop the state's own holidays.
    if (state && !hd.getStates(country!)?.[state]) throw new Error(`date-holidays has no calendar "${code}"`);
    calendars.set(code, hd);
  }
  return hd;
}

/**
 * The holidays of `code` ("US-AL") in `year` whose type is one of `types`, as
 * local dates "YYYY-MM-DD" → name. Substitute days (a Saturday holiday kept on
 * the Friday) are included: they are the days the state observes.
 */
export function holidaysOf(code: string, year: number, types: readonly HolidayType[]): Map<string, string> {
  const key = `${code}|${year}|${types.join(',')}`;
  let hit = years.get(key);
  if (!hit) {
    hit = new Map();
    for (const h of calendar(code).getHolidays(year)) {
      if (!types.includes(h.type as HolidayType)) continue;
      const day = h.date.slice(0, 10);
      if (!hit.has(day)) hit.set(day, h.name);
    }
    years.set(key, hit);
  }
  return hit;
}

/** Throws when date-holidays does not know `code`. */
export function checkCalendar(code: string): void {
  calendar(code);
}
