// Compiles src/ to dist/ for the bluecast command, so that it starts without
// transpiling TypeScript at every run (bin/bluecast.mjs). Each file becomes one
// JavaScript file at the same place in the tree, so that every
// `new URL('../x', import.meta.url)` still finds its file, and the non-TypeScript
// files the code reads at run time (dashboard assets) are copied beside them.
// esbuild only strips types (about a second for the tree); `npm run typecheck`
// and `npm test` check them.
import { cp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out;
}

// Every import stays an import (nothing is bundled); relative `./x.ts` ones are
// renamed to the `./x.js` they compile to.
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const rel = args.path.startsWith('./') || args.path.startsWith('../');
      return { path: rel ? args.path.replace(/\.ts$/, '.js') : args.path, external: true };
    });
  },
};

export async function build() {
  // Built aside and swapped in, so that a command starting meanwhile never sees half a tree.
  const staging = `${dist}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const all = await files(src);
  await esbuild.build({
    entryPoints: all.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outbase: src,
    outdir: staging,
    bundle: true,
    plugins: [keepImports],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const f of all.filter((f) => !f.endsWith('.ts'))) await cp(f, path.join(staging, path.relative(src, f)));
  const old = `${dist}.old-${process.pid}`;
  await rename(dist, old).catch((err) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, dist);
  await rm(old, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
