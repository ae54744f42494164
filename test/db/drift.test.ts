import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { createEmptyDatabase, createTestDatabase } from '../helpers/db.ts';
import { readPrismaSchema, schemaDrift } from '../helpers/schema-drift.ts';

const schemaText = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');

describe('schema drift', () => {
  it('reads every model of schema.prisma', () => {
    const info = readPrismaSchema(schemaText);
    expect(info.models.map((m) => m.table).sort()).toEqual(
      [
        'campaign_recipients',
        'campaign_runs',
        'campaigns',
        'consent_events',
        'contacts',
        'dashboard_sessions',
        'import_rejections',
        'imports',
        'inbound_messages',
        'inbox_actions',
        'inbox_threads',
        'outbound_messages',
        'quick_replies',
        'report_counts',
        'report_replies',
        'report_series',
        'seed_sends',
        'availability_cache',
        'sender_lines',
        'webhook_events',
      ].sort(),
    );
    const outbound = info.models.find((m) => m.name === 'OutboundMessage')!;
    expect(outbound.fields.find((f) => f.name === 'providerMessageId')).toMatchObject({ column: 'provider_message_id', optional: true });
  });

  it('the migrated database matches schema.prisma exactly', async () => {
    const db = await createTestDatabase();
    expect(await schemaDrift(db.url, schemaText)).toEqual([]);
  });

  it('notices a column removed from the SQL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-mig-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const file = path.join(dir, '20261127000000_init', 'migration.sql');
    const sql = await readFile(file, 'utf8');
    const cut = sql.replace(/^\s*"cancelled_at" TIMESTAMPTZ\(3\),\n/m, '');
    expect(cut).not.toEqual(sql);
    await writeFile(file, cut);
    const url = await createEmptyDatabase();
    await migrate(url, dir);
    expect(await schemaDrift(url, schemaText)).toEqual([
      'OutboundMessage.cancelledAt: column outbound_messages.cancelled_at is missing from the database',
    ]);
  });

  it('notices a table and a type the schema does not have', async () => {
    const db = await createTestDatabase();
    await db.pool.query('CREATE TABLE stray (id int)');
    await db.pool.query('ALTER TABLE contacts ALTER COLUMN phone TYPE varchar(20)');
    const problems = await schemaDrift(db.url, schemaText);
    expect(problems).toContain('table stray is not in schema.prisma');
    expect(problems).toContain('Contact.phone: contacts.phone is varchar, schema says text');
  });
});
