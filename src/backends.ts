// Picks each backend from its URL (docs/PROTOCOL.md §1.2): MONGODB_URL → MongoStore, DATABASE_URL →
// PostgresStore, RABBITMQ_URL → AMQP bus, REDIS_URL → Redis adapter (classic or sharded,
// SOCKET_ADAPTER) + presence; unset → the embedded in-process adapter. Drivers are loaded on demand, so embedded mode never pays for them.
import type { Adapter } from 'socket.io-adapter';
import { MemoryEventBus } from './adapters/bus/memory-event-bus';
import { MemoryPresence } from './adapters/presence/memory-presence';
import { createMemoryStore } from './adapters/store/memory/memory-store';
import type { CommandOrigin, StoreCommandKind } from './adapters/store/store-commands';
import type { Config } from './config';
import type { Logger } from './observability/logger';
import type { AdapterMetrics, BusMetrics, StoreMetrics } from './observability/metrics';
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
   * Drain: stop taking bus events (another node takes the partitions) and let running handlers
   * finish; publishing still works afterwards. The embedded bus has nothing to hand over.
   */
  stopConsuming(): Promise<void>;
  /** Events in the dead-letter queue now; 0 without RabbitMQ (the embedded bus has none). */
  deadLetterCount(): Promise<number>;
  /**
   * Closes the bus first (stop consuming, let running handlers finish their emits), then
   * presence, the Redis adapter's clients, and the store last.
   */
  close(): Promise<void>;
}

export async function openBackends(
  config: Config,
  logger: Logger,
  metrics?: BusMetrics & AdapterMetrics & StoreMetrics,
): Promise<Backends> {
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
    const onCommand =
      metrics &&
      ((kind: StoreCommandKind, origin: CommandOrigin) => {
        metrics.storeCommand(kind, origin);
      });
    if (config.mongodbUrl) {
      const { MongoStore } = await import('./adapters/store/mongo/mongo-store');
      store = await MongoStore.connect(config.mongodbUrl, { ...(onCommand && { onCommand }) });
    } else if (config.databaseUrl) {
      const { PostgresStore } = await import('./adapters/store/postgres/postgres-store');
      store = await PostgresStore.connect(config.databaseUrl, {
        poolSize: config.databasePoolSize,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        queueLimit: config.databaseQueueLimit,
        queueTimeoutMs: config.databaseQueueTimeoutMs,
        ...(onCommand && { onCommand }),
      });
    } else {
      store = createMemoryStore();
    }
    onClose(4, () => store.close());

    let bus: EventBus;
    let busConnected = (): boolean => true;
    let stopConsuming = (): Promise<void> => Promise.resolve();
    let deadLetterCount = (): Promise<number> => Promise.resolve(0);
    if (config.rabbitmqUrl) {
      const { AmqpEventBus } = await import('./adapters/bus/amqp-event-bus');
      const amqp = await AmqpEventBus.connect({
        url: config.rabbitmqUrl,
        partitions: config.busPartitions,
        logger: logger.child({ component: 'amqp' }),
        ...(metrics && { metrics }),
      });
      busConnected = () => amqp.isConnected();
      stopConsuming = () => amqp.stopConsuming();
      deadLetterCount = () => amqp.deadLetterCount();
      bus = amqp;
    } else {
      bus = new MemoryEventBus(logger.child({ component: 'bus' }));
    }
    onClose(1, () => bus.close());

    let presence: Presence;
    let socketAdapter: Backends['socketAdapter'];
    let redisConnected = (): boolean => false;
    if (config.redisUrl) {
      const [{ RedisPresence }, { Redis }, { createAdapter, createShardedAdapter }] =
        await Promise.all([
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
      // The adapter's publishes of one event-loop turn share one socket write; the subscriber
      // connection only subscribes.
      const pub = new Redis(config.redisUrl, { lazyConnect: true, enableAutoPipelining: true });
      const sub = pub.duplicate({ enableAutoPipelining: false });
      for (const client of [pub, sub]) {
        // ioredis reconnects by itself; an unhandled 'error' event would crash the process.
        client.on('error', (err: unknown) => {
          logger.warn({ err }, 'socket.io redis adapter connection error');
        });
      }
      // Everything the adapter receives arrives on these events of its subscriber (PUBLISH to a
      // subscribed channel or pattern, SPUBLISH to a shard channel): the fan-out's cost per node.
      for (const event of ['messageBuffer', 'pmessageBuffer', 'smessageBuffer']) {
        sub.on(event, () => metrics?.adapterMessageReceived());
      }
      await Promise.all([pub.connect(), sub.connect()]);
      onClose(3, async () => {
        await Promise.allSettled([pub.quit(), sub.quit()]);
      });
      if (config.socketAdapter === 'sharded') await requireShardedPubSub(pub);
      // Sharded: a broadcast to one room goes to that room's shard channel, which only nodes with
      // members in it subscribe to ('dynamic'); broadcasts to several rooms and server-side
      // emits still go to the namespace channel every node subscribes to. Needs Redis ≥ 7.
      socketAdapter =
        config.socketAdapter === 'sharded'
          ? createShardedAdapter(pub, sub, {
              channelPrefix: config.redisChannelPrefix,
              subscriptionMode: 'dynamic',
            })
          : createAdapter(pub, sub, { key: config.redisChannelPrefix });
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
        store: config.mongodbUrl ? 'mongodb' : config.databaseUrl ? 'postgres' : 'memory',
        bus: config.rabbitmqUrl ? 'rabbitmq' : 'memory',
        presence: config.redisUrl ? 'redis' : 'memory',
        ...(config.redisUrl && { socketAdapter: config.socketAdapter }),
      }),
      stopConsuming,
      deadLetterCount,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** SSUBSCRIBE/SPUBLISH came with Redis 7.0; older servers would fail each adapter command later. */
async function requireShardedPubSub(client: {
  info(section: string): Promise<string>;
}): Promise<void> {
  const version = /^redis_version:(\d+)\./m.exec(await client.info('server'))?.[1];
  if (version === undefined || Number(version) < 7) {
    throw new Error(
      `SOCKET_ADAPTER=sharded needs Redis 7 or newer (sharded pub/sub); this one is ${version ?? 'unknown'}.x`,
    );
  }
}
