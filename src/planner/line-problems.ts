import type { ImessageClient } from '../provider/client.ts';
import { lineCheck } from '../provider/doctor.ts';
import type { LineProblems } from './plan.ts';

/**
 * The plan's "lines" check from `bluecast doctor`'s own line check (a line
 * the provider does not report iMessage-capable is not leased or not
 * activated). One call per line, in turn: a handful of calls, well inside the
 * provider's limits. Without a client nothing can be checked, and that is
 * said rather than passed.
 */
export function doctorLineProblems(client: Pick<ImessageClient, 'availability'> | undefined): LineProblems {
  return async (lines) => {
    if (lines.length === 0) return [];
    if (!client) return [`the campaign's ${lines.length} line(s) could not be checked: CONTIGUITY_API_KEY is not set`];
    const out: string[] = [];
    for (const line of lines) {
      const c = await lineCheck(client, line);
      if (!c.ok) out.push(`line ${line}: ${c.detail}`);
    }
    return out;
  };
}
