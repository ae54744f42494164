import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImportFileError } from './errors.ts';

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      // A sequence cut short (by another byte or the end of input) is invalid where it starts.
      if (i + k >= buf.length || (buf[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return buf.length;
}

/** The bytes at the end of `buf` that begin a multi-byte sequence not yet complete. */
function incompleteTail(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return len > back ? Buffer.from(buf.subarray(buf.length - back)) : Buffer.alloc(0);
  }
  return Buffer.alloc(0);
}

function countNewlines(buf: Buffer, end = buf.length): number {
  let n = 0;
  let at = buf.indexOf(10);
  while (at >= 0 && at < end) {
    n++;
    at = buf.indexOf(10, at + 1);
  }
  return n;
}

/**
 * Passes bytes through unchanged while checking that they are UTF-8 text
 * (a streaming fatal TextDecoder, so a sequence split across chunks is fine),
 * hashing them and reporting progress. Invalid bytes end the import with one
 * error naming the line and byte offset.
 */
export class Utf8Check extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly hash = createHash('sha256');
  private newlines = 0;
  /** An incomplete sequence at the end of the last chunk, to locate an error in the next. */
  private tail: Buffer = Buffer.alloc(0);
  bytes = 0;

  constructor(
    private readonly fileName: string,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super();
  }

  private fail(chunk: Buffer): ImportFileError {
    const scanned = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const at = Math.min(firstInvalidUtf8(scanned), scanned.length) - this.tail.length;
    const line = this.newlines + (at > 0 ? countNewlines(chunk, at) : 0) + 1;
    return new ImportFileError(
      this.fileName,
      `the file is not valid UTF-8 text (invalid byte at offset ${this.bytes + at}, line ${line}); save it as UTF-8 (CSV UTF-8 in Excel) and try again`,
    );
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      cb(this.fail(chunk));
      return;
    }
    this.hash.update(chunk);
    this.newlines += countNewlines(chunk);
    this.bytes += chunk.length;
    this.tail = incompleteTail(chunk);
    this.onProgress?.(this.bytes);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.decode();
    } catch {
      cb(new ImportFileError(this.fileName, `the file is not valid UTF-8 text (it ends in the middle of a character, line ${this.newlines + 1})`));
      return;
    }
    cb();
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
