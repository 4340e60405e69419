// The stores the suites run over: embedded always, MongoDB over the wire (CongoDB in-process, or
// MONGODB_URL), and PostgreSQL (a fresh database per setup, dropped by its teardown).
import { testMongoUrl } from './mongo-url';
import { createTestDatabase } from './postgres-db';

/** Environment for the nodes of one test setup, and how to clean up after it. */
export interface ModeSetup {
  env: Record<string, string>;
  teardown(): Promise<void>;
}

export type DurableStore = 'mongodb' | 'postgres';

/** A new, empty, shared store for one setup: its URL variable and the teardown that drops it. */
export async function durableStoreEnv(store: DurableStore, label: string): Promise<ModeSetup> {
  if (store === 'mongodb') {
    return { env: { MONGODB_URL: testMongoUrl(label) }, teardown: () => Promise.resolve() };
  }
  const db = await createTestDatabase(label);
  return { env: { DATABASE_URL: db.url }, teardown: () => db.drop() };
}

export interface StoreMode {
  name: string;
  setup(): Promise<ModeSetup>;
}

export const storeModes: StoreMode[] = [
  {
    name: 'MemoryStore',
    setup: () => Promise.resolve({ env: {}, teardown: () => Promise.resolve() }),
  },
  { name: 'MongoStore', setup: () => durableStoreEnv('mongodb', 'http') },
  { name: 'PostgresStore', setup: () => durableStoreEnv('postgres', 'http') },
];
