import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDatabase } from '../../src/db/connection.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { freePort } from '../helpers/net.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export const TEMPLATE_DB = 'bluecast_template';

/**
 * One PostgreSQL for the whole run (embedded, or TEST_DATABASE_URL's server),
 * with a migrated template database that each test file clones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl: string;
  let teardown = async () => undefined as void;
  if (process.env.TEST_DATABASE_URL) {
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bluecast-test-pg-'));
    const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    adminUrl = pg.adminUrl;
    teardown = async () => {
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const template = `${TEMPLATE_DB}_${process.pid}`;
  await ensureDatabase(adminUrl, template);
  const u = new URL(adminUrl);
  u.pathname = `/${template}`;
  await migrate(u.toString());
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  return teardown;
}
