import { Client } from 'pg';
import { PostgresStore } from './postgres-store.js';

/** The local test database; tests skip when it is unreachable (and fail on CI). */
export const TEST_DATABASE_URL =
  process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test database answers; on CI an unreachable database is an error, not a skip. */
export async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn(
      `skipping Postgres tests: ${TEST_DATABASE_URL} is unreachable (${(error as Error).message})`,
    );
    return false;
  }
}

/** A schema name no other test file uses. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops schemas made by a test file. */
export async function dropSchemas(schemas: string[]): Promise<void> {
  if (!schemas.length) return;
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database on the test server (for code that owns a whole database, like a
 * README example); `drop` removes it.
 */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueSchema(prefix).toLowerCase();
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A suite's `create` and `createPeer` on Postgres: each store in a schema of its own (kept in
 * `schemas` for {@link dropSchemas}), a peer sharing the schema of the store it is given.
 */
export function schemaStores(prefix: string, schemas: string[]) {
  return {
    create: async () => {
      const schema = uniqueSchema(prefix);
      schemas.push(schema);
      return new PostgresStore({ url: TEST_DATABASE_URL, schema });
    },
    createPeer: async (store: unknown) =>
      new PostgresStore({ url: TEST_DATABASE_URL, schema: (store as PostgresStore).schema }),
  };
}
