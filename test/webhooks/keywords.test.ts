import { describe, expect, it } from 'vitest';
import { classifyKeyword } from '../../src/webhooks/keywords.ts';

describe('consent keywords', () => {
  it.each(['STOP', 'stop', ' Stop. ', 'STOPALL', 'unsubscribe!', 'Cancel', 'end', '"QUIT"', 'revoke', 'OptOut', '\tstop\n', '¡STOP!'])('%j opts out', (text) => {
    expect(classifyKeyword(text)?.kind).toBe('opt_out');
  });

  it.each(['START', 'start!', ' Unstop '])('%j opts in', (text) => {
    expect(classifyKeyword(text)?.kind).toBe('opt_in');
  });

  it.each(['please stop', 'stop it', 'STOP ALL', 'stopp', 'the end is near', 'opt out', 'Thanks!', '', 'STOP'.repeat(40)])('%j is an ordinary reply', (text) => {
    expect(classifyKeyword(text)).toBeNull();
  });

  it('names the keyword in upper case', () => {
    expect(classifyKeyword('  unsubscribe. ')).toEqual({ kind: 'opt_out', keyword: 'UNSUBSCRIBE' });
  });
});
