import { defineConfig } from 'prisma/config';

// Only `prisma generate` is used from the CLI (migrations are applied by
// `bluecast db migrate`), and generate needs no database connection.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
