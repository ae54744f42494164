import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

// A command that checks a flag inside its action (after commander's parsing)
// throws commander's InvalidArgumentError: commander does not print those, so
// the CLI must, as a usage error like any other bad input.
describe('a bad flag value caught inside a command', () => {
  it('names the flag and the value on stderr, exit 2, no stack trace', async () => {
    const r = await runCli(['inbox', '--line', 'not-a-line']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: --line: "not-a-line" is not a phone number');
    expect(r.stdout).toBe('');
  });

  it('the same for an argument', async () => {
    const r = await runCli(['thread', '12ab']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: PHONE: "12ab" is not a (valid )?phone number/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("commander's own parse errors are still printed once", async () => {
    const r = await runCli(['rules', '--jurisdiction', '12']);
    expect(r.code).toBe(2);
    expect(r.stderr.match(/argument '12' is invalid/g)).toHaveLength(1);
  });
});
