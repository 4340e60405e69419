// Backend modes the realtime suites run over: embedded, and cluster (real Redis and RabbitMQ,
// MongoDB over the wire), each cluster isolated by its own vhost, Redis db and channel prefix.
import { randomBytes } from 'node:crypto';
import { testMongoUrl } from './mongo-url';
import { createTestVhost } from './rabbit-vhost';
import { testRedisUrl } from './redis-db';

export interface ModeSetup {
  env: Record<string, string>;
  teardown(): Promise<void>;
}

export interface RealtimeMode {
  name: string;
  setup(): Promise<ModeSetup>;
}

export const embeddedMode: RealtimeMode = {
  name: 'embedded',
  setup: () => Promise.resolve({ env: {}, teardown: () => Promise.resolve() }),
};

/** Env for a cluster of nodes sharing one store, one vhost and one Redis channel space. */
export async function clusterEnv(): Promise<ModeSetup> {
  const vhost = await createTestVhost();
  return {
    env: {
      MONGODB_URL: testMongoUrl('cluster'),
      RABBITMQ_URL: vhost.url,
      REDIS_URL: testRedisUrl(),
      REDIS_CHANNEL_PREFIX: `parley_test_${randomBytes(4).toString('hex')}`,
    },
    teardown: () => vhost.drop(),
  };
}

export const clusterMode: RealtimeMode = { name: 'cluster', setup: clusterEnv };

export const realtimeModes: RealtimeMode[] = [embeddedMode, clusterMode];
