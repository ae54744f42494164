import pg from 'pg';

/** What the drift check needs from schema.prisma: models, their scalar fields, enums. */
export interface PrismaModel {
  name: string;
  table: string;
  fields: { name: string; column: string; type: string; optional: boolean; list: boolean; dbType?: string }[];
}

export interface PrismaSchemaInfo {
  models: PrismaModel[];
  enums: Map<string, { dbName: string; values: string[] }>;
}

/** A small reader for the subset of the Prisma schema language this project uses. */
export function readPrismaSchema(text: string): PrismaSchemaInfo {
  const src = text.replace(/\/\/.*$/gm, '');
  const blocks = [...src.matchAll(/^(model|enum)\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const enums = new Map<string, { dbName: string; values: string[] }>();
  for (const [, kind, name, body] of blocks) {
    if (kind !== 'enum') continue;
    const lines = body!.split('\n').map((l) => l.trim()).filter(Boolean);
    const map = lines.find((l) => l.startsWith('@@map'))?.match(/"(.+)"/)?.[1];
    enums.set(name!, { dbName: map ?? name!, values: lines.filter((l) => !l.startsWith('@@')).map((l) => l.split(/\s+/)[0]!) });
  }
  const modelNames = new Set(blocks.filter((b) => b[1] === 'model').map((b) => b[2]!));
  const models: PrismaModel[] = [];
  for (const [, kind, name, body] of blocks) {
    if (kind !== 'model') continue;
    const lines = body!.split('\n').map((l) => l.trim()).filter(Boolean);
    const table = lines.find((l) => l.startsWith('@@map'))?.match(/"(.+)"/)?.[1] ?? name!;
    const fields: PrismaModel['fields'] = [];
    for (const line of lines) {
      if (line.startsWith('@@')) continue;
      const m = line.match(/^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/);
      if (!m) continue;
      const [, fname, type, list, optional, attrs] = m;
      if (modelNames.has(type!)) continue; // relation field, no column
      fields.push({
        name: fname!,
        column: attrs!.match(/@map\("([^"]+)"\)/)?.[1] ?? fname!,
        type: type!,
        optional: Boolean(optional),
        list: Boolean(list),
        dbType: attrs!.match(/@db\.(\w+)/)?.[1],
      });
    }
    models.push({ name: name!, table, fields });
  }
  return { models, enums };
}

function expectedPgType(field: PrismaModel['fields'][number], enums: PrismaSchemaInfo['enums']): string {
  const scalar: Record<string, string> = {
    String: 'text',
    Int: 'int4',
    BigInt: 'int8',
    Float: 'float8',
    Boolean: 'bool',
    Json: 'jsonb',
    DateTime: field.dbType === 'Timestamptz' ? 'timestamptz' : 'timestamp',
    Decimal: 'numeric',
  };
  const base = enums.get(field.type)?.dbName ?? scalar[field.type] ?? `?${field.type}`;
  return field.list ? `_${base}` : base;
}

/** Every difference between schema.prisma and the database at `url`, as sentences. */
export async function schemaDrift(url: string, schemaText: string): Promise<string[]> {
  const schema = readPrismaSchema(schemaText);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: 'YES' | 'NO' }>(
      `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const enumRows = await client.query<{ typname: string; labels: string[] }>(
      `SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    );
    const problems: string[] = [];
    const dbCols = new Map(cols.rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    for (const model of schema.models) {
      for (const f of model.fields) {
        const key = `${model.table}.${f.column}`;
        const col = dbCols.get(key);
        if (!col) {
          problems.push(`${model.name}.${f.name}: column ${key} is missing from the database`);
          continue;
        }
        const want = expectedPgType(f, schema.enums);
        if (col.udt_name !== want) problems.push(`${model.name}.${f.name}: ${key} is ${col.udt_name}, schema says ${want}`);
        // Lists are NOT NULL in our SQL (an empty array, never null).
        const wantNullable = f.optional && !f.list;
        if ((col.is_nullable === 'YES') !== wantNullable) {
          problems.push(`${model.name}.${f.name}: ${key} is ${col.is_nullable === 'YES' ? 'nullable' : 'NOT NULL'}, schema says ${wantNullable ? 'optional' : 'required'}`);
        }
      }
      const known = new Set(model.fields.map((f) => f.column));
      for (const r of cols.rows) {
        if (r.table_name === model.table && !known.has(r.column_name)) problems.push(`${model.table}.${r.column_name} exists in the database but not in schema.prisma`);
      }
    }
    const modelTables = new Set(schema.models.map((m) => m.table));
    for (const t of tables.rows) {
      if (t.table_name !== '_prisma_migrations' && !modelTables.has(t.table_name)) problems.push(`table ${t.table_name} is not in schema.prisma`);
    }
    for (const m of schema.models) {
      if (!tables.rows.some((t) => t.table_name === m.table)) problems.push(`table ${m.table} (model ${m.name}) is missing from the database`);
    }
    const dbEnums = new Map(enumRows.rows.map((r) => [r.typname, r.labels]));
    for (const [name, e] of schema.enums) {
      const labels = dbEnums.get(e.dbName);
      if (!labels) problems.push(`enum ${name} (${e.dbName}) is missing from the database`);
      else if (labels.join(',') !== e.values.join(',')) problems.push(`enum ${name}: database has [${labels.join(', ')}], schema says [${e.values.join(', ')}]`);
    }
    return problems;
  } finally {
    await client.end();
  }
}
