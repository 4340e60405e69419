// startNode: builds one Parley node from a Config (adapters → services → servers) and
// returns how to reach and stop it. Tests boot real nodes in-process through it (port 0).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthService } from './app/auth-service';
import { ConversationService } from './app/conversation-service';
import { MessageService } from './app/message-service';
import { TokenService } from './app/token-service';
import { UserService } from './app/user-service';
import { MemoryEventBus } from './adapters/bus/memory-event-bus';
import { Argon2Hasher } from './adapters/password/argon2-hasher';
import { MemoryPresence } from './adapters/presence/memory-presence';
import { MemoryStore } from './adapters/store/memory-store';
import type { Config } from './config';
import { KeyedRateLimiter } from './domain/token-bucket';
import { createHttpApp } from './http/app';
import { createLogger, type Logger } from './observability/logger';
import type { Store } from './ports';

export interface RunningNode {
  /** http://host:port of this node. */
  url: string;
  port: number;
  logger: Logger;
  /** Stops accepting, drains, and closes every connection this node opened, in order. */
  close(): Promise<void>;
}

async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (!config.mongodbUrl) return new MemoryStore();
  // Loaded on demand: embedded mode never pays for mongoose.
  const { MongoStore } = await import('./adapters/store/mongo-store');
  const store = await MongoStore.connect(config.mongodbUrl);
  logger.info('store: MongoDB');
  return store;
}

export async function startNode(
  config: Config,
  logger: Logger = createLogger(config.logLevel, config.nodeId),
): Promise<RunningNode> {
  const clock = (): Date => new Date();
  const store = await openStore(config, logger);
  const bus = new MemoryEventBus(logger.child({ component: 'bus' }));
  const presence = new MemoryPresence();

  const tokens = new TokenService(config.jwt);
  const auth = new AuthService({ store, hasher: new Argon2Hasher(), tokens, clock });
  const users = new UserService({ store });
  const conversations = new ConversationService({ store, bus, presence, clock });
  const sendLimiter = new KeyedRateLimiter({
    ratePerSecond: config.limits.messagesPerSecond,
    burst: config.limits.messagesBurst,
  });
  const messages = new MessageService({
    store,
    bus,
    clock,
    limits: config.limits,
    sendLimiter: { take: (userId) => sendLimiter.take(userId) },
    logger: logger.child({ component: 'messages' }),
  });

  const app = createHttpApp({
    config,
    logger,
    auth,
    users,
    conversations,
    messages,
    health: {
      readiness: async () => {
        const storeUp = await store.ping().then(
          () => true,
          () => false,
        );
        return { ready: storeUp, checks: { store: storeUp } };
      },
      redisConnected: () => false,
      activeConnections: () => 0,
    },
  });

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger.info({ port, mode: config.mongodbUrl ? 'mongodb' : 'embedded' }, 'parley node listening');

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    logger,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeAllConnections();
        });
        await bus.close();
        await presence.close();
        await store.close();
      })();
      return closing;
    },
  };
}
