import { describe, expect, it } from 'vitest';
import { compileTemplate, renderMessage, requiredVariables, templateVariables } from '../../src/campaigns/template.ts';
import { ValidationError } from '../../src/lib/errors.ts';

function issues(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('templates', () => {
  it('fills placeholders, with defaults for missing or blank values; names match CSV headers loosely', () => {
    const t = compileTemplate('Hi {{first_name|there}}, see you in {{ City }}!');
    expect(renderMessage(t, { first_name: 'Ann', city: 'Oslo' }, 'k').body).toBe('Hi Ann, see you in Oslo!');
    expect(renderMessage(t, { first_name: '  ', City: 'Oslo' }, 'k').body).toBe('Hi there, see you in Oslo!');
    expect(templateVariables(t)).toEqual([
      { name: 'first_name', hasDefault: true },
      { name: 'city', hasDefault: false },
    ]);
    expect(requiredVariables(t)).toEqual(['city']);
  });

  it('a column is optional only if every use of it has a default', () => {
    expect(requiredVariables(compileTemplate('{{a|x}} {{b|y}}', ['{{a}} there']))).toEqual(['a']);
  });

  it('picks alternatives and variants per recipient, deterministically', () => {
    const t = compileTemplate('{Hi|Hello|Hey} {{name|friend}}', ['Good morning {{name|friend}}']);
    const bodies = new Set<string>();
    const variants = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const r = renderMessage(t, { name: 'Ann' }, `run1:${i}`);
      expect(renderMessage(t, { name: 'Ann' }, `run1:${i}`)).toEqual(r); // stable
      bodies.add(r.body);
      variants.add(r.variantIndex);
    }
    expect(bodies).toEqual(new Set(['Hi Ann', 'Hello Ann', 'Hey Ann', 'Good morning Ann']));
    expect(variants).toEqual(new Set([0, 1]));
  });

  it('placeholders work inside alternatives; escapes give literal braces', () => {
    const t = compileTemplate('{Hi {{name}}|Hello {{name}}} \\{ok\\}');
    expect(['Hi Bo {ok}', 'Hello Bo {ok}']).toContain(renderMessage(t, { name: 'Bo' }, 'x').body);
  });

  it('rejects malformed templates, naming the message or variant and the position', () => {
    expect(issues(() => compileTemplate('Hi {{first_name'))).toEqual([{ path: 'message', message: "'{{' is never closed with '}}' (at character 4)" }]);
    expect(issues(() => compileTemplate('ok', ['Hi {Hello|Hey']))).toEqual([{ path: 'variants[0]', message: "'{' is never closed with '}' (at character 4)" }]);
    expect(issues(() => compileTemplate('Hi {first_name}'))[0]!.message).toMatch(/single option.*\{\{first_name\}\}/);
    expect(issues(() => compileTemplate('Hi {{ }}'))[0]!.message).toMatch(/has no column name/);
    expect(issues(() => compileTemplate('a } b'))[0]!.message).toMatch(/unexpected '\}'/);
    expect(issues(() => compileTemplate('{a|{b|c}}'))[0]!.message).toMatch(/cannot be nested/);
    expect(issues(() => compileTemplate('  ', ['x']))).toEqual([{ path: 'message', message: 'is empty' }]);
  });
});
