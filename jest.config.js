/** Jest: SWC-transpiled TypeScript; type-checking is `npm run typecheck`'s job. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 20000,
  // One MongoDB-wire server per run (or MONGODB_URL) and a PostgreSQL check; tests get databases
  // via test/support/mongo-url.ts and test/support/postgres-db.ts.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
