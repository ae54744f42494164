import { ValidationError } from '../lib/errors.ts';

/**
 * Message templates.
 *
 *   {{first_name}}          the recipient's `first_name` column
 *   {{first_name|there}}    …or "there" when the row has no value
 *   {Hi|Hello|Hey}          one alternative, picked per recipient
 *   \{  \}  \|  \\          literal characters
 *
 * A campaign has a main message plus optional whole-message variants; one of
 * them is picked per recipient, then one option of each `{…|…}` group. Picks
 * are a hash of a key the caller chooses (e.g. `${runId}:${recipientId}`), so
 * bodies differ across recipients yet rendering the same recipient twice gives
 * the same body.
 */

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; fallback?: string }
  | { kind: 'choice'; options: TemplatePart[][] };

export interface CompiledTemplate {
  /** The source texts: index 0 is the main message, then the variants. */
  readonly sources: readonly string[];
  readonly bodies: readonly TemplatePart[][];
}

/**
 * Placeholder names are matched against CSV headers after the same
 * normalisation (`First Name` and `first_name` are one column).
 */
export function normalizeVariableName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly where: string,
  ) {}

  private fail(message: string, at = this.pos): never {
    throw new ValidationError([{ path: this.where, message: `${message} (at character ${at + 1})` }]);
  }

  /** Parse until end of input, or until `|` / `}` when inside a `{…}` group. */
  parseSequence(inChoice: boolean): TemplatePart[] {
    const parts: TemplatePart[] = [];
    let text = '';
    const flush = () => {
      if (text) parts.push({ kind: 'text', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (ch === '\\' && this.pos + 1 < this.src.length) {
        text += this.src[this.pos + 1];
        this.pos += 2;
      } else if (ch === '{' && this.src[this.pos + 1] === '{') {
        flush();
        parts.push(this.parseVariable());
      } else if (ch === '{') {
        if (inChoice) this.fail('alternatives cannot be nested');
        flush();
        parts.push(this.parseChoice());
      } else if (inChoice && (ch === '|' || ch === '}')) {
        break;
      } else if (ch === '}') {
        this.fail("unexpected '}' (write \\} for a literal brace)");
      } else {
        text += ch;
        this.pos++;
      }
    }
    flush();
    return parts;
  }

  private parseVariable(): TemplatePart {
    const start = this.pos;
    const close = this.src.indexOf('}}', start + 2);
    if (close < 0) this.fail("'{{' is never closed with '}}'", start);
    const inner = this.src.slice(start + 2, close);
    this.pos = close + 2;
    const bar = inner.indexOf('|');
    const rawName = bar < 0 ? inner : inner.slice(0, bar);
    const name = normalizeVariableName(rawName);
    if (!name) this.fail(`placeholder {{${inner}}} has no column name`, start);
    if (/[{}]/.test(inner)) this.fail(`placeholder {{${inner}}} contains a brace`, start);
    return bar < 0 ? { kind: 'var', name } : { kind: 'var', name, fallback: inner.slice(bar + 1) };
  }

  private parseChoice(): TemplatePart {
    const start = this.pos;
    this.pos++; // '{'
    const options: TemplatePart[][] = [];
    for (;;) {
      options.push(this.parseSequence(true));
      const ch = this.src[this.pos];
      if (ch === '|') {
        this.pos++;
        continue;
      }
      if (ch === '}') {
        this.pos++;
        break;
      }
      this.fail("'{' is never closed with '}'", start);
    }
    if (options.length < 2) {
      const body = this.src.slice(start + 1, this.pos - 1);
      this.fail(`{${body}} has a single option; separate alternatives with '|' (or write {{${body}}} for a column)`, start);
    }
    return { kind: 'choice', options };
  }
}

/** Compile the main message and its variants; throws ValidationError naming the bad one. */
export function compileTemplate(message: string, variants: string[] = []): CompiledTemplate {
  const sources = [message, ...variants];
  const issues: { path: string; message: string }[] = [];
  const bodies: TemplatePart[][] = [];
  sources.forEach((src, i) => {
    const where = i === 0 ? 'message' : `variants[${i - 1}]`;
    if (src.trim() === '') {
      issues.push({ path: where, message: 'is empty' });
      return;
    }
    try {
      bodies.push(new Parser(src, where).parseSequence(false));
    } catch (err) {
      if (err instanceof ValidationError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length) throw new ValidationError(issues, 'template');
  return { sources, bodies };
}

function collectVariables(parts: TemplatePart[], into: Map<string, boolean>): void {
  for (const p of parts) {
    if (p.kind === 'var') {
      // A column is optional only if every use of it has a default.
      const prev = into.get(p.name);
      into.set(p.name, (prev ?? true) && p.fallback !== undefined);
    } else if (p.kind === 'choice') {
      for (const o of p.options) collectVariables(o, into);
    }
  }
}

/** The columns the template reads, and whether every use of each has a default. */
export function templateVariables(t: CompiledTemplate): { name: string; hasDefault: boolean }[] {
  const seen = new Map<string, boolean>();
  for (const body of t.bodies) collectVariables(body, seen);
  return [...seen].map(([name, hasDefault]) => ({ name, hasDefault }));
}

/** Columns a row must fill (non-blank) because some use has no default. */
export function requiredVariables(t: CompiledTemplate): string[] {
  return templateVariables(t)
    .filter((v) => !v.hasDefault)
    .map((v) => v.name);
}

/** FNV-1a, 32 bits: small, stable across processes and Node versions. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function renderParts(parts: TemplatePart[], vars: Record<string, string>, pickKey: string, counter: { n: number }): string {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'var') {
      const v = vars[p.name];
      out += v !== undefined && v.trim() !== '' ? v : (p.fallback ?? '');
    } else {
      const group = counter.n++;
      const option = p.options[hash32(`${pickKey}#${group}`) % p.options.length]!;
      out += renderParts(option, vars, pickKey, counter);
    }
  }
  return out;
}

/**
 * Render for one recipient. `vars` keys are normalised column names (as stored
 * in campaign_recipients.variables). Deterministic for a given pickKey.
 */
export function renderMessage(t: CompiledTemplate, vars: Record<string, string>, pickKey: string): { body: string; variantIndex: number } {
  const normalized: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) normalized[normalizeVariableName(k)] = v == null ? '' : String(v);
  const variantIndex = t.bodies.length === 1 ? 0 : hash32(`${pickKey}#variant`) % t.bodies.length;
  return { body: renderVariant(t, normalized, pickKey, variantIndex), variantIndex };
}

/**
 * One given variant for one recipient, its `{…|…}` picks as renderMessage makes
 * them (the plan's preview shows the alternatives a recipient could get).
 * `vars` keys already normalised.
 */
export function renderVariant(t: CompiledTemplate, vars: Record<string, string>, pickKey: string, variantIndex: number): string {
  return renderParts(t.bodies[variantIndex]!, vars, pickKey, { n: 0 }).replace(/[ \t]{2,}/g, ' ').trim();
}
