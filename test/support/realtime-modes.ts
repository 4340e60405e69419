// Backend modes the realtime suites run over: embedded, and cluster (real Redis and RabbitMQ and a
// shared store over the wire: PostgreSQL by default, MongoDB on request), each cluster isolated
// by its own vhost, Redis db, channel prefix and database.
import { randomBytes } from 'node:crypto';
import { createTestVhost } from './rabbit-vhost';
import { testRedisUrl } from './redis-db';
import { durableStoreEnv, type DurableStore, type ModeSetup } from './store-modes';

export type { ModeSetup } from './store-modes';

export interface RealtimeMode {
  name: string;
  setup(): Promise<ModeSetup>;
}

export const embeddedMode: RealtimeMode = {
  name: 'embedded',
  setup: () => Promise.resolve({ env: {}, teardown: () => Promise.resolve() }),
};

/**
 * Env for a cluster of nodes sharing one store, one vhost and one Redis channel space. The store
 * is PostgreSQL unless told otherwise: the one real, separately running database on this machine.
 */
export async function clusterEnv(store: DurableStore = 'postgres'): Promise<ModeSetup> {
  const [vhost, database] = await Promise.all([
    createTestVhost(),
    durableStoreEnv(store, 'cluster'),
  ]);
  return {
    env: {
      ...database.env,
      RABBITMQ_URL: vhost.url,
      REDIS_URL: testRedisUrl(),
      REDIS_CHANNEL_PREFIX: `parley_test_${randomBytes(4).toString('hex')}`,
    },
    teardown: async () => {
      await vhost.drop();
      await database.teardown();
    },
  };
}

export const clusterMode: RealtimeMode = { name: 'cluster', setup: () => clusterEnv('postgres') };
export const clusterMongoMode: RealtimeMode = {
  name: 'cluster on MongoDB',
  setup: () => clusterEnv('mongodb'),
};

export const realtimeModes: RealtimeMode[] = [embeddedMode, clusterMode, clusterMongoMode];
