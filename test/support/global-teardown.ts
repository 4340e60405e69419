// Jest globalTeardown: stops the CongoDB server the globalSetup started (nothing to do against a
// real MongoDB) and drops the PostgreSQL databases the run left behind.
import { stopTestPostgres } from './postgres-global-setup';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__parleyTestMongoServer;
  globalThis.__parleyTestMongoServer = undefined;
  await Promise.all([server?.stop(), stopTestPostgres()]);
}
