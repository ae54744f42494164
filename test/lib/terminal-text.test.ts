import { describe, expect, it } from 'vitest';
import { printable } from '../../src/lib/terminal-text.ts';

describe('printable: people’s text on an operator’s terminal', () => {
  it.each([
    ['\u001b[2J\u001b[HHello', 'Hello'], // clear screen, cursor home
    ['\u001b]0;pwned\u0007hi', 'hi'], // window title (OSC, BEL)
    ['\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'], // hyperlink (OSC, ST)
    ['red \u001b[31mtext\u001b[0m', 'red text'],
    ['\u009b31mC1 CSI', 'C1 CSI'],
    ['bell\u0007 and backspace\u0008', 'bell and backspace'],
    ['bidi \u202Eevil\u202C', 'bidi evil'],
    ['del\u007f', 'del'],
    ['STOP ❤️ ＳＴＯＰ', 'STOP ❤️ ＳＴＯＰ'],
  ])('%j → %j', (input, out) => expect(printable(input)).toBe(out));

  it('keeps line breaks unless one line is asked for', () => {
    expect(printable('a\nb\tc')).toBe('a\nb\tc');
    expect(printable('a\r\nb\tc', { oneLine: true })).toBe('a b c');
  });
});
