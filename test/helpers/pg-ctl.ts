import { DEFAULT_SHARED_PLACES, placeBinaries, postgresUser, run } from '../../src/db/embedded-place.ts';

/**
 * `pg_ctl ARGS -D dataDir` on a test's own cluster, with the binaries and as
 * the user the embedded server runs with (as root: `postgres`, from the cache
 * when it cannot reach node_modules). Pass the handle's dataDir, which may not
 * be the one asked for (embedded-place.ts).
 */
export async function pgCtl(dataDir: string, args: string[]): Promise<void> {
  const as = await postgresUser();
  const bins = await placeBinaries(as, DEFAULT_SHARED_PLACES, () => undefined);
  const res = await run(bins.pg_ctl, [...args, '-D', dataDir], as);
  if (res.code !== 0) throw new Error(`pg_ctl ${args.join(' ')}: ${res.output}`);
}
