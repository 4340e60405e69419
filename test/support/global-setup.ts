// Jest globalSetup: one in-process MongoDB-wire server (CongoDB) for the run, unless MONGODB_URL
// names a real MongoDB, and this run's PostgreSQL database prefix (the server must answer).
import type { AddressInfo } from 'node:net';
import { TEST_MONGODB_URL_ENV, withPollingMonitor } from './mongo-url';
import { startTestPostgres } from './postgres-global-setup';

interface CongoServerLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  server: { address(): AddressInfo | string | null };
}
type CongoServerClass = new (options: { host: string; port: number }) => CongoServerLike;

declare global {
  /** The CongoDB server this run started; the globalTeardown stops it. */
  var __parleyTestMongoServer: CongoServerLike | undefined;
}

// The package is ESM-only and the transpiler would turn a literal import() into require(),
// which cannot load it; a Function-built import() is left alone and resolves natively.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, no caller input
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

async function loadCongoServer(): Promise<CongoServerClass> {
  const loaded = await importEsm('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const CongoServer = (loaded as { CongoServer?: unknown }).CongoServer;
  if (typeof CongoServer !== 'function')
    throw new Error('@push.rocks/smartmongo: CongoServer export not found');
  return CongoServer as CongoServerClass;
}

export default async function globalSetup(): Promise<void> {
  await startTestPostgres();
  await startTestMongo();
}

async function startTestMongo(): Promise<void> {
  const realMongo = process.env.MONGODB_URL;
  if (realMongo) {
    process.env[TEST_MONGODB_URL_ENV] = realMongo;
    return;
  }
  const CongoServer = await loadCongoServer();
  // Port 0: parallel runs never collide; the real port is read back from the listening socket.
  const server = new CongoServer({ host: '127.0.0.1', port: 0 });
  await server.start();
  const address = server.server.address();
  if (address === null || typeof address === 'string') {
    await server.stop();
    throw new Error('CongoDB did not report a TCP port');
  }
  globalThis.__parleyTestMongoServer = server;
  // Workers and the processes they spawn inherit the parent's environment. The driver must poll
  // CongoDB rather than stream from it (see withPollingMonitor); testMongoUrl() adds the option to
  // every URL it hands out, and it is here too for anything that reads this variable directly.
  process.env[TEST_MONGODB_URL_ENV] = withPollingMonitor(`mongodb://127.0.0.1:${address.port}/`);
}
