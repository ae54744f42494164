import { createReadStream } from 'node:fs';
import { printable } from '../../lib/terminal-text.ts';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Database } from '../../db/database.ts';
import { ValidationError } from '../../lib/errors.ts';
import { importRecipients, type ImportSummary, type ImportTarget } from './import-recipients.ts';

export interface ImportFileOptions {
  phoneColumn?: string;
  region?: string;
  /** Bytes read so far, and the file's size when it has one (not stdin); the caller draws what it likes. */
  onProgress?: (p: { bytes: number; totalBytes?: number }) => void;
}

async function openInput(file: string): Promise<{ stream: Readable; size?: number; name: string }> {
  if (file === '-') return { stream: process.stdin, name: 'stdin' };
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch (err) {
    throw new ValidationError([{ path: 'file', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
  return { stream: createReadStream(file, { highWaterMark: 256 * 1024 }), size, name: path.basename(file) };
}

/** Import one file ("-": stdin) into a campaign, all or nothing. */
export async function importFile(db: Pick<Database, 'pool'>, campaign: ImportTarget, file: string, opts: ImportFileOptions = {}): Promise<ImportSummary> {
  const input = await openInput(file);
  const onProgress = opts.onProgress;
  return importRecipients(db, campaign, input.stream, {
    fileName: input.name,
    phoneColumn: opts.phoneColumn,
    region: opts.region,
    onProgress: onProgress ? (bytes) => onProgress({ bytes, totalBytes: input.size }) : undefined,
  });
}

/** The summary as the CLI and the demo print it. */
export function formatImportSummary(s: ImportSummary, shown = 10): string {
  const out: string[] = [];
  const rows: [string, number][] = [
    ['total', s.totalRows],
    ['imported', s.imported],
    ['duplicates', s.duplicates],
    ['invalid', s.invalid],
    ['opted out', s.optedOut],
  ];
  out.push(`import #${s.importId} of ${s.fileName}:`);
  const w = Math.max(...rows.map(([, n]) => String(n).length));
  for (const [label, n] of rows) out.push(`  ${label.padEnd(11)}${String(n).padStart(w)}`);
  for (const u of s.unfilled) {
    const more = u.count > u.lines.length ? ', …' : '';
    out.push(`  ${u.count} row(s) have an empty "${printable(u.column, { oneLine: true })}" and the message has no default for it: line(s) ${u.lines.join(', ')}${more}`);
  }
  if (s.rejected.length) {
    out.push(`rejected rows${s.invalid > shown ? ` (first ${shown} of ${s.invalid})` : ''}:`);
    for (const r of s.rejected.slice(0, shown)) out.push(`  line ${r.line}: ${printable(r.reason, { oneLine: true })}`);
  }
  return out.join('\n');
}
