import { ValidationError } from '../../lib/errors.ts';

/**
 * The file as a whole cannot be imported (not UTF-8, no header, a template
 * column it lacks…). Nothing is written; the message names the file and says
 * what to fix. A ValidationError, so the CLI exits 2 and the API answers 400.
 */
export class ImportFileError extends ValidationError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super([{ path: 'file', message: problem }], file);
    this.message = `${file}: ${problem}`;
  }
}
