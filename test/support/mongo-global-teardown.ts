// Jest globalTeardown: stops the CongoDB server the globalSetup started (nothing to do against a real MongoDB).
export default async function stopTestMongo(): Promise<void> {
  const server = globalThis.__parleyTestMongoServer;
  globalThis.__parleyTestMongoServer = undefined;
  await server?.stop();
}
