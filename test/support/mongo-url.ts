// Where tests find MongoDB: the URL the jest globalSetup exported, with a fresh database per call.
import { randomBytes } from 'node:crypto';

/**
 * Set by test/support/global-setup.ts for every jest worker (and inherited by any process a
 * test spawns): the in-process CongoDB wire server, or `MONGODB_URL` when that is set.
 */
export const TEST_MONGODB_URL_ENV = 'PARLEY_TEST_MONGODB_URL';

/**
 * The driver's server monitor must poll, on every test URL. CongoDB (the in-process stand-in)
 * advertises a `topologyVersion`, so the driver's default monitor switches to the streaming
 * protocol, which CongoDB cannot serve: each awaitable `hello` fails ("Server ended moreToCome
 * unexpectedly"), and the driver marks the server unknown and clears its connection pool — about
 * once a second per client — failing operations that are waiting for a connection at that moment
 * with MongoPoolClearedError (a 500/503 in the middle of a test). Polling costs a real MongoDB
 * nothing that matters to a test, so the option is set whatever server the URL names.
 */
const MONITORING_OPTION = 'serverMonitoringMode';

/** The same URL with `serverMonitoringMode=poll` (see above); any other option is kept. */
export function withPollingMonitor(url: string): string {
  const [base = url, query = ''] = url.split('?', 2);
  const options = new URLSearchParams(query);
  options.set(MONITORING_OPTION, 'poll');
  return `${base}?${options.toString()}`;
}

/**
 * A MongoDB URL on the test server with a database nobody else uses, `parley_test_<label>_<random>`,
 * and the polling server monitor.
 * Each call returns a new database: call it once and hand the same URL to every store or server
 * process that must share data. (Unique names also matter because CongoDB keeps per-collection
 * metadata by database name for the whole run.)
 */
export function testMongoUrl(dbName: string): string {
  const base = process.env[TEST_MONGODB_URL_ENV];
  if (!base) {
    throw new Error(
      `${TEST_MONGODB_URL_ENV} is not set: run through jest (its globalSetup starts the test MongoDB)`,
    );
  }
  // Keep scheme, credentials, hosts and query; replace only the database path.
  const parts = /^(mongodb(?:\+srv)?:\/\/([^/?]+))(?:\/([^?]*))?(?:\?(.*))?$/.exec(base);
  if (!parts?.[1]) throw new Error(`${TEST_MONGODB_URL_ENV} is not a mongodb:// URL`);
  const [, root, hosts = '', originalDb = '', query = ''] = parts;
  const options = new URLSearchParams(query);
  // Credentials authenticate against the URL's database unless told otherwise; keep that one.
  if (hosts.includes('@') && !options.has('authSource'))
    options.set('authSource', originalDb || 'admin');
  options.set(MONITORING_OPTION, 'poll');
  // MongoDB caps database names at 63 bytes; the label is only there to help a human reading them.
  const label = dbName.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 24);
  return `${root}/parley_test_${label}_${randomBytes(6).toString('hex')}?${options.toString()}`;
}
