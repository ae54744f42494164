import { describe, expect, it } from 'vitest';
import { ImportFileError } from '../../src/campaigns/import/errors.ts';
import { parseRecords } from '../../src/campaigns/import/parse-job.ts';
import { RecordSplitter } from '../../src/campaigns/import/record-splitter.ts';

/** Split `text` fed in `chunk`-byte pieces into jobs of about `jobBytes`, then parse each job. */
function splitAndParse(text: string | Buffer, chunk: number, jobBytes: number) {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  const splitter = new RecordSplitter('f.csv', jobBytes, 1 << 20);
  const jobs = [];
  for (let i = 0; i < buf.length; i += chunk) jobs.push(...splitter.push(buf.subarray(i, i + chunk)));
  const last = splitter.end();
  if (last) jobs.push(last);
  return { jobs: jobs.length, records: jobs.flatMap((j) => parseRecords(j.bytes, j.startLine).records) };
}

const tricky =
  '\ufeffphone,name,note\r\n' + // 1
  '+14155552671,"Ann, ""A""","multi\r\nline"\r\n' + // 2-3
  '\r\n' + // 4
  '+14155552672,Bob,"x""\r\n""y"\r\n' + // 5-6
  '+14155552673,O"Brien,plain\r\n' + // 7: a stray quote inside an unquoted cell is literal
  '+14155552674,"lf\nonly",z\n' + // 8-9
  '+14155552675,cr,"bare\rcr"\r' + // 10-11 (bare CR inside quotes and as terminator)
  '+14155552676,last,row'; // 12, no final newline

describe('RecordSplitter: jobs end on record boundaries whatever the chunking', () => {
  const expected = splitAndParse(tricky, 1 << 20, 1 << 20).records;

  it('parses the tricky file in one piece as expected', () => {
    expect(expected).toEqual([
      { line: 1, cells: ['phone', 'name', 'note'] },
      { line: 2, cells: ['+14155552671', 'Ann, "A"', 'multi\r\nline'] },
      { line: 5, cells: ['+14155552672', 'Bob', 'x"\r\n"y'] },
      { line: 7, cells: ['+14155552673', 'O"Brien', 'plain'] },
      { line: 8, cells: ['+14155552674', 'lf\nonly', 'z'] },
      { line: 10, cells: ['+14155552675', 'cr', 'bare\rcr'] },
      { line: 12, cells: ['+14155552676', 'last', 'row'] },
    ]);
  });

  for (const chunk of [1, 2, 3, 5, 8, 13]) {
    for (const jobBytes of [1, 7, 40]) {
      it(`chunks of ${chunk} bytes, jobs of ${jobBytes}+ bytes`, () => {
        const got = splitAndParse(tricky, chunk, jobBytes);
        expect(got.records).toEqual(expected);
        if (jobBytes === 1) expect(got.jobs).toBeGreaterThan(5);
      });
    }
  }

  it('an unclosed quote is refused, naming the line where its row starts', () => {
    expect(() => splitAndParse('phone,name\n+14155552671,"Ann\nmore\nlines', 4, 8)).toThrow(
      new ImportFileError('f.csv', 'line 2: a quoted cell is never closed (a missing " ?)'),
    );
  });

  it('a runaway row is refused before it is buffered whole', () => {
    const splitter = new RecordSplitter('f.csv', 1 << 16, 100);
    splitter.push(Buffer.from('phone,name\n'));
    expect(() => splitter.push(Buffer.from(`+1,"${'x'.repeat(200)}`))).toThrow(/line 2: a row is larger than 100 bytes/);
  });
});
