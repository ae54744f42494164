import { Transform } from 'node:stream';

/** Content types a CSV upload may come with (the body is read raw, as a stream). */
export const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/octet-stream'];

/** Ends the upload with a 413 once it passes `max` bytes (the body is never buffered whole). */
export function limitBytes(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(Object.assign(new Error(`the upload is larger than ${max} bytes`), { statusCode: 413 }));
      else cb(null, chunk);
    },
  });
}
