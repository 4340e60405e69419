// Where tests find PostgreSQL: a fresh database per call on the test server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The server tests create their databases on: a URL whose database is only used to run
 * CREATE/DROP DATABASE. The jest globalSetup exports it (from `PARLEY_TEST_POSTGRES_URL` when set,
 * else the local server), so workers and the processes they spawn share it.
 */
export const TEST_POSTGRES_URL_ENV = 'PARLEY_TEST_POSTGRES_URL';
/** The run's database-name prefix, set by the globalSetup: its teardown drops whatever is left. */
export const TEST_POSTGRES_RUN_ENV = 'PARLEY_TEST_POSTGRES_RUN';

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function testPostgresAdminUrl(): string {
  return process.env[TEST_POSTGRES_URL_ENV] ?? DEFAULT_TEST_POSTGRES_URL;
}

/** `parley_test_<run>_…`: the prefix every database of this run starts with. */
export function testPostgresRunPrefix(): string {
  return `parley_test_${process.env[TEST_POSTGRES_RUN_ENV] ?? 'adhoc'}_`;
}

export interface TestDatabase {
  /** `postgres://…/<the new database>`, with everything else of the admin URL kept. */
  url: string;
  name: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testPostgresAdminUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const quoted = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Drops one database (WITH FORCE: connections a test left open must not keep it alive). */
export function dropTestDatabase(name: string): Promise<void> {
  return withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
  });
}

/**
 * A new empty database nobody else uses. Call it once and hand the same URL to every store or
 * server process that must share data; call `drop()` when done (the run's teardown drops any
 * that are left).
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  // PostgreSQL caps identifiers at 63 bytes; the label only helps a human reading them.
  const name = `${testPostgresRunPrefix()}${label
    .replace(/[^a-z0-9_]/gi, '_')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (client) => {
    await client.query(`CREATE DATABASE ${quoted(name)}`);
  });
  const url = new URL(testPostgresAdminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => dropTestDatabase(name) };
}

/** Every database of this run still there (the teardown drops them). */
export function listRunDatabases(): Promise<string[]> {
  return withAdmin(async (client) => {
    const result = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [testPostgresRunPrefix()],
    );
    return result.rows.map((r) => r.datname);
  });
}
