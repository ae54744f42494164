/**
 * How the report and the campaign view name the legal rules a campaign sends
 * under. With BLUECAST_LEGAL_WINDOWS=off the deployment holds nothing for
 * them, and saying "federal and state hours" then would mislead the reader.
 */
export function legalRulesLabel(transactional: boolean, legalWindows: 'on' | 'off' = 'on'): string {
  if (legalWindows === 'off') return 'off in this deployment (BLUECAST_LEGAL_WINDOWS=off): only the campaign window applies';
  return transactional ? 'federal hours only (transactional)' : 'federal and state hours, holidays and caps (marketing)';
}
