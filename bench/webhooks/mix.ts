/** What run.ts and fire.ts (the load generator process) share. */

export interface FireConfig {
  url: string;
  path: string;
  secret: string;
  connections: number;
  durationSeconds: number;
  overallRate?: number;
  tag: string;
  messages: number;
  line: string;
  /** Where to write the ids answered 2xx (JSON: { ok: string[]; incoming: string[] }). */
  idsFile: string;
}

export interface FireResult {
  requestsPerSecond: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  max: number;
  durationSeconds: number;
  /** Distinct event ids answered 2xx, and how many of them were replies. */
  distinctOk: number;
  distinctIncomingOk: number;
  duplicatesSent: number;
}

export const benchPhone = (k: number) => `+1202555${String(k % 10000).padStart(4, '0')}`;
