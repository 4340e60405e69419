// Where tests find Redis: the local server with one logical database per test run.
//
// Product key names (`online:{userId}`, `presence:node:{nodeId}`) must stay exact, so runs are kept
// apart by database number rather than by a key prefix; tests also use unique ids, so runs that
// happen to share a database still do not see each other's users.

/** Pins the database; otherwise the first call picks one and exports it here for child processes. */
export const TEST_REDIS_DB_ENV = 'PARLEY_TEST_REDIS_DB';

/** Redis base URL for tests. @default redis://127.0.0.1:6379 */
export const TEST_REDIS_URL_ENV = 'PARLEY_TEST_REDIS_URL';

function testRedisDb(): number {
  const pinned = process.env[TEST_REDIS_DB_ENV];
  if (pinned !== undefined) {
    const db = Number(pinned);
    if (!Number.isInteger(db) || db < 0 || db > 15) {
      throw new Error(`${TEST_REDIS_DB_ENV} must be a database number 0–15 (got "${pinned}")`);
    }
    return db;
  }
  // 1–15: database 0 is where a developer's own data usually lives.
  const db = 1 + Math.floor(Math.random() * 15);
  // Exported so that node processes a test spawns inherit the same database.
  process.env[TEST_REDIS_DB_ENV] = String(db);
  return db;
}

/** `redis://127.0.0.1:6379/<db>`, the same database for every call in this process. */
export function testRedisUrl(): string {
  const url = new URL(process.env[TEST_REDIS_URL_ENV] ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${testRedisDb()}`;
  return url.toString();
}
