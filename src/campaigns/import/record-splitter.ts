import { ImportFileError } from './errors.ts';

/**
 * Cuts a CSV byte stream into jobs that end on record boundaries, so that
 * worker threads can parse and normalise jobs independently. Runs on the main
 * thread, so it only scans bytes: a small state machine that knows where
 * quoted cells begin and end (RFC 4180, with a quote inside an unquoted cell
 * taken literally, as csv-parse's relax_quotes does) and counts physical lines
 * (LF, CRLF or a bare CR) so each job knows the line it starts on.
 */

export interface SplitJob {
  /** Whole records, in their own ArrayBuffer (transferable). */
  bytes: Uint8Array;
  /** Physical line number of the job's first byte. */
  startLine: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // saw `"` inside a quoted cell: closing, or the first of `""`

export class RecordSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Offset in `pending` just after the last record terminator seen. */
  private boundary = -1;
  private linesAtBoundary = 0;
  private state = FIELD_START;
  private pendingCr = false;
  private pendingCrQuoted = false;
  /** Line breaks seen since the start of the file. */
  private lines = 0;
  /** Lines before the first byte of `pending`. */
  private pendingStartLines = 0;
  private first = true;

  constructor(
    private readonly fileName: string,
    private readonly jobBytes: number,
    private readonly maxRecordBytes: number,
  ) {}

  /** Feed bytes; returns the jobs that are complete (usually zero or one). */
  push(chunk: Buffer): SplitJob[] {
    if (this.first && chunk.length) {
      this.first = false;
      // A UTF-8 byte order mark is not part of the header's first name.
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const base = this.pendingBytes;
    this.scan(chunk, base);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const jobs: SplitJob[] = [];
    if (this.boundary > 0 && this.pendingBytes >= this.jobBytes) jobs.push(this.cut(this.boundary, this.linesAtBoundary));
    const recordBytes = this.pendingBytes - Math.max(this.boundary, 0);
    if (recordBytes > this.maxRecordBytes) {
      throw new ImportFileError(
        this.fileName,
        `line ${this.recordStartLine()}: a row is larger than ${this.maxRecordBytes} bytes (an unclosed quote?)`,
      );
    }
    return jobs;
  }

  /** The rest of the input, once it has ended. */
  end(): SplitJob | undefined {
    if (this.pendingCr) this.resolveCr(false, this.pendingBytes);
    if (this.state === QUOTED) {
      throw new ImportFileError(this.fileName, `line ${this.recordStartLine()}: a quoted cell is never closed (a missing " ?)`);
    }
    if (this.pendingBytes === 0) return undefined;
    return this.cut(this.pendingBytes, this.lines);
  }

  private recordStartLine(): number {
    return (this.boundary >= 0 ? this.linesAtBoundary : this.pendingStartLines) + 1;
  }

  private markBoundary(at: number): void {
    this.boundary = at;
    this.linesAtBoundary = this.lines;
  }

  private resolveCr(nextIsLf: boolean, at: number): void {
    this.pendingCr = false;
    if (nextIsLf) return; // CRLF: the LF is the line break
    this.lines++;
    if (!this.pendingCrQuoted) this.markBoundary(at);
  }

  private scan(buf: Buffer, base: number): void {
    let state = this.state;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.pendingCr) {
        this.state = state;
        this.resolveCr(b === LF, base + i);
      }
      if (state === QUOTE_IN_QUOTED) {
        if (b === QUOTE) {
          state = QUOTED;
          continue;
        }
        state = UNQUOTED; // the quote closed the cell; b follows it
      }
      if (state === QUOTED) {
        if (b === QUOTE) state = QUOTE_IN_QUOTED;
        else if (b === LF) this.lines++;
        else if (b === CR) {
          this.pendingCr = true;
          this.pendingCrQuoted = true;
        }
        continue;
      }
      // FIELD_START or UNQUOTED
      if (b === COMMA) state = FIELD_START;
      else if (b === LF) {
        this.lines++;
        state = FIELD_START;
        this.markBoundary(base + i + 1);
      } else if (b === CR) {
        this.pendingCr = true;
        this.pendingCrQuoted = false;
        state = FIELD_START;
      } else if (b === QUOTE && state === FIELD_START) state = QUOTED;
      else state = UNQUOTED;
    }
    this.state = state;
  }

  /** Take pending[0, at) as a job; keep the rest. */
  private cut(at: number, linesAtCut: number): SplitJob {
    const bytes = new Uint8Array(at); // its own ArrayBuffer: safe to transfer
    let offset = 0;
    const rest: Buffer[] = [];
    for (const b of this.pending) {
      if (offset >= at) rest.push(b);
      else if (offset + b.length <= at) bytes.set(b, offset);
      else {
        bytes.set(b.subarray(0, at - offset), offset);
        rest.push(b.subarray(at - offset));
      }
      offset += b.length;
    }
    const job = { bytes, startLine: this.pendingStartLines + 1 };
    this.pending = rest;
    this.pendingBytes -= at;
    this.pendingStartLines = linesAtCut;
    this.boundary = -1;
    return job;
  }
}
