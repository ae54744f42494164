import { normalizePhone } from '../../lib/phone.ts';
import { normalizeVariableName } from '../template.ts';
import { ImportFileError } from './errors.ts';

/** Header names that identify the phone column, in order of preference. */
export const PHONE_COLUMN_NAMES = ['phone', 'phone_number', 'mobile', 'number', 'mobile_number', 'cell', 'cell_phone', 'telephone'] as const;
export const TIMEZONE_COLUMN_NAMES = ['timezone', 'time_zone', 'tz'] as const;

/**
 * What the header tells us, computed once per file and shipped to the
 * normalisation workers (so it is plain data: structured-cloneable).
 */
export interface ColumnPlan {
  /** Cells a row must have (a trailing header delimiter excluded). */
  width: number;
  /** Header names as written, for messages. */
  names: string[];
  /** Normalised names: the variable keys and what placeholders match. */
  keys: string[];
  phoneIndex: number;
  timezoneIndex: number;
  /** For each column: its JSON-encoded variable key (`"first_name":`), or null for phone/timezone. */
  variableKeys: (string | null)[];
  /** Columns every row must fill because the template uses them without a default. */
  requiredIndexes: number[];
  region: string;
  maxFieldLength: number;
}

export interface PlanOptions {
  phoneColumn?: string;
  region: string;
  /** Template placeholders with no default: a row must fill each. */
  requiredVariables: string[];
  maxFieldLength: number;
  fileName: string;
  headerLine: number;
}

function looksLikeData(cells: string[], region: string): boolean {
  return cells.some((c) => /^\+?\d{7,15}$/.test(c.replace(/[\s().-]/g, '')) && normalizePhone(c, region).ok);
}

/** Read the header row; every problem here is one clear error for the whole file. */
export function planColumns(header: string[], opts: PlanOptions): ColumnPlan {
  const fail = (message: string): never => {
    throw new ImportFileError(opts.fileName, `line ${opts.headerLine}: ${message}`);
  };
  const cells = header.map((h) => h.trim());
  // A trailing delimiter on the header line is an empty last column: ignore it.
  while (cells.length > 1 && cells[cells.length - 1] === '') cells.pop();
  const keys = cells.map(normalizeVariableName);

  const phoneWanted = opts.phoneColumn ? normalizeVariableName(opts.phoneColumn) : undefined;
  let phoneIndex = -1;
  if (phoneWanted !== undefined) {
    phoneIndex = keys.indexOf(phoneWanted);
    if (phoneIndex < 0) fail(`no column named "${opts.phoneColumn}"; the header has: ${cells.join(', ')}`);
  } else {
    for (const name of PHONE_COLUMN_NAMES) {
      phoneIndex = keys.indexOf(name);
      if (phoneIndex >= 0) break;
    }
    if (phoneIndex < 0) {
      if (looksLikeData(cells, opts.region)) {
        fail(`the file has no header row (the first line looks like data: ${cells.join(',')}); add a header such as phone,first_name`);
      }
      fail(`no phone column: name it ${PHONE_COLUMN_NAMES.slice(0, 4).join(', ')} (any case) or pass --phone-column; the header has: ${cells.join(', ')}`);
    }
  }

  keys.forEach((k, i) => {
    if (k === '') fail(`column ${i + 1} of the header has no name`);
    const first = keys.indexOf(k);
    if (first !== i) fail(`columns "${cells[first]}" and "${cells[i]}" are the same column name ("${k}")`);
  });

  let timezoneIndex = -1;
  for (const name of TIMEZONE_COLUMN_NAMES) {
    timezoneIndex = keys.indexOf(name);
    if (timezoneIndex >= 0) break;
  }

  const variableKeys = keys.map((k, i) => (i === phoneIndex || i === timezoneIndex ? null : `${JSON.stringify(k)}:`));
  const requiredIndexes: number[] = [];
  for (const name of opts.requiredVariables) {
    const i = keys.indexOf(name);
    if (i < 0) {
      fail(`the message uses {{${name}}} without a default, but the file has no "${name}" column (columns: ${cells.join(', ')}); add the column or write {{${name}|default}}`);
    }
    if (variableKeys[i] !== null) requiredIndexes.push(i);
  }
  return {
    width: cells.length,
    names: cells,
    keys,
    phoneIndex,
    timezoneIndex,
    variableKeys,
    requiredIndexes,
    region: opts.region,
    maxFieldLength: opts.maxFieldLength,
  };
}
