import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Normalise a number as people type it ("(415) 555-0100", "+44 20 7946 0958")
 * to E.164, using `region` for numbers written without a country code. Uses
 * the full metadata so that only numbers valid for their country pass.
 */
export function normalizePhone(input: string, region: CountryCode | string = 'US'): PhoneResult {
  const raw = input.trim();
  if (raw === '') return { ok: false, reason: 'phone number is empty' };
  if (raw.length > 40) return { ok: false, reason: 'phone number is too long' };
  const parsed = parsePhoneNumberFromString(raw, region as CountryCode);
  if (!parsed) return { ok: false, reason: `"${raw}" is not a phone number` };
  if (!parsed.isValid()) return { ok: false, reason: `"${raw}" is not a valid phone number for ${parsed.country ?? region}` };
  return { ok: true, e164: parsed.number };
}

/** A string already in E.164 form that is a real, valid number. */
export function isValidE164(value: string): boolean {
  if (!/^\+[1-9]\d{6,14}$/.test(value)) return false;
  const parsed = parsePhoneNumberFromString(value);
  return Boolean(parsed?.isValid() && parsed.number === value);
}

/** The country of an E.164 number (a line of ours), for parsing what arrives on it; undefined when unknown. */
export function regionOf(e164: string): CountryCode | undefined {
  return parsePhoneNumberFromString(e164.trim())?.country;
}
