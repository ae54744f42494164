import { describe, expect, it } from 'vitest';
import { failureCause, groupFailureReasons } from '../../src/reports/reasons.ts';

describe('failure causes', () => {
  it('takes phone numbers and ids out, keeps HTTP statuses and provider codes', () => {
    expect(failureCause('provider HTTP 400: +17025550123 is not a valid iMessage recipient')).toBe('provider HTTP 400: <phone> is not a valid iMessage recipient');
    expect(failureCause('recipient (702) 555-0123 opted out')).toBe('recipient <phone> opted out');
    expect(failureCause('E21 carrier rejected 17025550123')).toBe('E21 carrier rejected <phone>');
    expect(failureCause('provider HTTP 409: request req_8f3kd92kd already processed')).toBe('provider HTTP 409: request <id> already processed');
    expect(failureCause('provider HTTP 500: id 3f2a9c1e-1111-4222-8333-444455556666')).toBe('provider HTTP 500: id <id>');
    expect(failureCause('invalid number')).toBe('invalid number');
    expect(failureCause('  ')).toBe('unknown');
  });

  it('groups by cause with a count and the most frequent example', () => {
    expect(
      groupFailureReasons([
        { reason: 'provider HTTP 400: +17025550001 unreachable', count: 1 },
        { reason: 'provider HTTP 400: +17025550002 unreachable', count: 3 },
        { reason: 'provider HTTP 429: slow down', count: 2 },
        { reason: 'provider HTTP 400: +17025550003 unreachable', count: 0 },
      ]),
    ).toEqual([
      { cause: 'provider HTTP 400: <phone> unreachable', count: 4, example: 'provider HTTP 400: +17025550002 unreachable' },
      { cause: 'provider HTTP 429: slow down', count: 2, example: 'provider HTTP 429: slow down' },
    ]);
  });
});
