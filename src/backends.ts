// Picks each backend from its URL (docs/PROTOCOL.md §1.2): MONGODB_URL → MongoStore, RABBITMQ_URL → AMQP bus,
// REDIS_URL → Redis adapter + presence; unset → the embedded in-process adapter. Drivers are
// loaded on demand, so embedded mode never pays for them.
import type { Adapter } from 'socket.io-adapter';
import { MemoryEventBus } from './adapters/bus/memory-event-bus';
import { MemoryPresence } from './adapters/presence/memory-presence';
import { createMemoryStore } from './adapters/store/memory/memory-store';
import type { Config } from './config';
import type { Logger } from './observability/logger';
import type { EventBus, Presence, Store } from './ports';

export interface Backends {
  store: Store;
  bus: EventBus;
  presence: Presence;
  /** The Socket.IO adapter factory for cluster mode; undefined → Socket.IO's in-memory one. */
  socketAdapter: ((nsp: unknown) => Adapter) | undefined;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  redisConnected(): boolean;
  describe(): Record<string, string>;
  /**
   * Closes the bus first (stop consuming, let running handlers finish their emits), then
   * presence, the Redis adapter's clients, and the store last.
   */
  close(): Promise<void>;
}

export async function openBackends(config: Config, logger: Logger): Promise<Backends> {
  const closers: { rank: number; close: () => Promise<void> }[] = [];
  const onClose = (rank: number, close: () => Promise<void>): void => {
    closers.push({ rank, close });
  };
  const closeAll = async (): Promise<void> => {
    const ordered = closers.splice(0).sort((a, b) => a.rank - b.rank);
    for (const { close } of ordered) {
      await close().catch((err: unknown) => {
        logger.warn({ err }, 'backend close failed');
      });
    }
  };
  try {
    let store: Store;
    if (config.mongodbUrl) {
      const { MongoStore } = await import('./adapters/store/mongo-store');
      store = await MongoStore.connect(config.mongodbUrl);
    } else {
      store = createMemoryStore();
    }
    onClose(4, () => store.close());

    let bus: EventBus;
    let busConnected = (): boolean => true;
    if (config.rabbitmqUrl) {
      const { AmqpEventBus } = await import('./adapters/bus/amqp-event-bus');
      const amqp = await AmqpEventBus.connect({
        url: config.rabbitmqUrl,
        partitions: config.busPartitions,
        logger: logger.child({ component: 'amqp' }),
      });
      busConnected = () => amqp.isConnected();
      bus = amqp;
    } else {
      bus = new MemoryEventBus(logger.child({ component: 'bus' }));
    }
    onClose(1, () => bus.close());

    let presence: Presence;
    let socketAdapter: Backends['socketAdapter'];
    let redisConnected = (): boolean => false;
    if (config.redisUrl) {
      const [{ RedisPresence }, { Redis }, { createAdapter }] = await Promise.all([
        import('./adapters/presence/redis-presence'),
        import('ioredis'),
        import('@socket.io/redis-adapter'),
      ]);
      presence = await RedisPresence.connect({
        url: config.redisUrl,
        nodeId: config.nodeId,
        ttlSeconds: config.presenceTtlSeconds,
        logger: logger.child({ component: 'presence' }),
      });
      onClose(2, () => presence.close());
      const pub = new Redis(config.redisUrl, { lazyConnect: true });
      const sub = pub.duplicate();
      for (const client of [pub, sub]) {
        // ioredis reconnects by itself; an unhandled 'error' event would crash the process.
        client.on('error', (err: unknown) => {
          logger.warn({ err }, 'socket.io redis adapter connection error');
        });
      }
      await Promise.all([pub.connect(), sub.connect()]);
      onClose(3, async () => {
        await Promise.allSettled([pub.quit(), sub.quit()]);
      });
      socketAdapter = createAdapter(pub, sub, { key: config.redisChannelPrefix });
      redisConnected = () => pub.status === 'ready' && sub.status === 'ready';
    } else {
      presence = new MemoryPresence();
      onClose(2, () => presence.close());
    }

    return {
      store,
      bus,
      presence,
      socketAdapter,
      readiness: async () => {
        const storeUp = await store.ping().then(
          () => true,
          () => false,
        );
        const checks: Record<string, boolean> = {
          store: storeUp,
          bus: busConnected(),
          presence: presence.isReady(),
        };
        if (config.redisUrl) checks.redis = redisConnected();
        return { ready: Object.values(checks).every(Boolean), checks };
      },
      redisConnected,
      describe: () => ({
        store: config.mongodbUrl ? 'mongodb' : 'memory',
        bus: config.rabbitmqUrl ? 'rabbitmq' : 'memory',
        presence: config.redisUrl ? 'redis' : 'memory',
      }),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
