import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';
import { isValidTimeZone } from './window.ts';

/** The zone whose daytime a message to `phone` must respect. */
export interface TimezoneResolver {
  zoneFor(phone: string, recipientZone: string | null, campaignZone: string): Promise<string>;
}

// More zones than this for one prefix means the metadata only knows the
// country (e.g. a NANP number it cannot place): no better than the campaign's zone.
const MAX_SPECIFIC_ZONES = 3;

/**
 * Recipient's own `timezone` column when valid; else the zone of the number's
 * area code from libphonenumber's geo metadata; else the campaign's zone.
 * Lookups are cached by prefix (the number without its last four digits, finer
 * than any zone boundary in the metadata), as the first lookup of a region
 * loads a file and costs ~10-20 ms.
 */
export function createTimezoneResolver(): TimezoneResolver {
  const byPrefix = new Map<string, Promise<string[] | null>>();

  async function numberZones(phone: string): Promise<string[] | null> {
    const key = phone.slice(0, Math.max(4, phone.length - 4));
    let hit = byPrefix.get(key);
    if (!hit) {
      const parsed = parsePhoneNumberFromString(phone);
      hit = parsed ? timezones(parsed).catch(() => null) : Promise.resolve(null);
      byPrefix.set(key, hit);
    }
    return hit;
  }

  return {
    async zoneFor(phone, recipientZone, campaignZone) {
      if (recipientZone && isValidTimeZone(recipientZone)) return recipientZone;
      const zones = (await numberZones(phone))?.filter(isValidTimeZone) ?? [];
      if (zones.length === 0 || zones.length > MAX_SPECIFIC_ZONES) return campaignZone;
      // Several zones for one area code: the campaign's own zone if it is one of them.
      return zones.includes(campaignZone) ? campaignZone : zones[0]!;
    },
  };
}
