import { expect } from 'vitest';
import type { SimulatorHandle } from '../../src/simulator/index.ts';

/** How many sends the simulator accepted for each of `phones` (absent: none). */
export function perRecipient(sim: Pick<SimulatorHandle, 'sent'>, phones: string[]): Map<string, number> {
  const wanted = new Set(phones);
  const counts = new Map<string, number>();
  for (const s of sim.sent()) if (wanted.has(s.to)) counts.set(s.to, (counts.get(s.to) ?? 0) + 1);
  return counts;
}

/** Every one of `phones` got exactly one send at the simulator: none doubled, none missing. */
export function expectExactlyOnce(sim: Pick<SimulatorHandle, 'sent'>, phones: string[]): void {
  const counts = perRecipient(sim, phones);
  expect([...counts].filter(([, n]) => n !== 1), 'recipients sent more than once').toEqual([]);
  expect(phones.filter((p) => !counts.has(p)), 'recipients never sent').toEqual([]);
}
