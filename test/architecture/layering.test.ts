import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

async function sourceFiles(dir = SRC): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'generated') out.push(...(await sourceFiles(p)));
    } else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The capability a file belongs to: its folder under src/, or its own name for the files at the root (config, app, service). */
const capability = (file: string) => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? rel[0]!.replace(/\.\w+$/, '') : rel[0]!;
};

/** Relative imports and re-exports of a module, static or dynamic, resolved to files. */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s));
}

/** Strongly connected groups of more than one capability (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let i = 0;
  const visit = (v: string) => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layering of src/', async () => {
  const files = await sourceFiles();
  const texts = new Map(await Promise.all(files.map(async (f) => [f, await readFile(f, 'utf8')] as const)));
  const graph = new Map<string, Set<string>>();
  const edges = new Map<string, string[]>();
  for (const [file, text] of texts) {
    const from = capability(file);
    for (const target of importsOf(file, text)) {
      if (!target.startsWith(SRC) || target.includes(`${path.sep}generated${path.sep}`)) continue;
      const to = capability(target);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
      const key = `${from} → ${to}`;
      edges.set(key, [...(edges.get(key) ?? []), path.relative(SRC, file)]);
    }
  }

  it('reads the imports at all', () => {
    expect(graph.get('dispatch')).toContain('db');
    expect(graph.get('cli')).toContain('demo');
  });

  it('no two capability folders import each other, directly or around a loop', () => {
    const found = cycles(graph).map((group) => {
      const inside = [...edges.keys()].filter((k) => group.includes(k.split(' → ')[0]!) && group.includes(k.split(' → ')[1]!));
      return `${group.join(' ↔ ')}: ${inside.map((k) => `${k} (${edges.get(k)!.join(', ')})`).join('; ')}`;
    });
    expect(found).toEqual([]);
  });

  it('finds a loop when there is one', () => {
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]))).toEqual([['a', 'b', 'c']]);
  });

  it('no file in src/ is over 400 lines, but the dashboard script', () => {
    const long = [...texts]
      .filter(([file]) => !file.endsWith(path.join('http', 'dashboard', 'app.js')))
      .map(([file, text]) => [path.relative(SRC, file), text.split('\n').length] as const)
      .filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
