// Jest globalSetup part: names this run's PostgreSQL databases and checks the server answers.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  DEFAULT_TEST_POSTGRES_URL,
  TEST_POSTGRES_RUN_ENV,
  TEST_POSTGRES_URL_ENV,
  dropTestDatabase,
  listRunDatabases,
} from './postgres-db';

export async function startTestPostgres(): Promise<void> {
  process.env[TEST_POSTGRES_URL_ENV] ??= DEFAULT_TEST_POSTGRES_URL;
  process.env[TEST_POSTGRES_RUN_ENV] = randomBytes(3).toString('hex');
  const client = new Client({
    connectionString: process.env[TEST_POSTGRES_URL_ENV],
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const where = new URL(process.env[TEST_POSTGRES_URL_ENV]);
    throw new Error(
      `PostgreSQL does not answer at ${where.host} (${(err as Error).message}): start it, or set ${TEST_POSTGRES_URL_ENV} to a server where the tests may create databases`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops every database this run created and did not drop itself. */
export async function stopTestPostgres(): Promise<void> {
  if (!process.env[TEST_POSTGRES_RUN_ENV]) return;
  for (const name of await listRunDatabases()) await dropTestDatabase(name);
}
