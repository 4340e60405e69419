// Brings a database's schema up to date with node-pg-migrate, running the SQL files of
// ./migrations (copied next to the compiled code by the build) on one dedicated connection.
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { PoolClient } from 'pg';

export const MIGRATIONS_TABLE = 'parley_migrations';
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** How long a node waits for another node's migration run (it holds the advisory lock). */
const LOCK_WAIT_MS = 60_000;

const quiet = (): void => undefined;
const QUIET_LOGGER = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/**
 * node-pg-migrate takes a session advisory lock with pg_try_advisory_lock and fails at once
 * when another runner holds it; several nodes starting together wait for it instead.
 */
const isLockBusy = (err: unknown): boolean =>
  err instanceof Error && err.message === 'Another migration is already running';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function runOnce(client: PoolClient): Promise<void> {
  await runner({
    dbClient: client,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    checkOrder: true,
    // The default advisory lock: one runner per database at a time.
    noLock: false,
    // All pending migrations commit together or not at all.
    singleTransaction: true,
    logger: QUIET_LOGGER,
  });
}

/**
 * Applies every pending migration, waiting (up to a minute) while another node migrates the
 * same database; once it is done there is nothing left to apply here. `client` is a dedicated
 * connection checked out of the store's pool; it is released destroyed afterwards (its session
 * settings were changed), whatever the outcome.
 */
export async function migratePostgres(client: PoolClient): Promise<void> {
  // A connection dying mid-run must fail the run, not crash the process. The listener stays: the
  // client is destroyed afterwards, and its socket may still report an error while closing.
  client.on('error', quiet);
  try {
    // A schema change may legitimately outlast the per-statement limit of ordinary queries.
    await client.query('SET statement_timeout = 0');
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      try {
        await runOnce(client);
        return;
      } catch (err) {
        if (!isLockBusy(err) || Date.now() + delay > deadline) throw err;
        await sleep(delay);
      }
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`PostgresStore: migrating the schema failed: ${reason}`, { cause: err });
  } finally {
    // Never back to the pool: its statement_timeout was lifted for the migration.
    client.release(true);
  }
}
