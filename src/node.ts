// startNode: builds one Parley node from a Config (adapters → services → servers) and
// returns how to reach and stop it. Tests boot real nodes in-process through it (port 0).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthService } from './app/auth-service';
import { CommandHandler } from './app/command-handler';
import { DeliverySequencer } from './app/delivery-sequencer';
import { ConversationService } from './app/conversation-service';
import { MessageService } from './app/message-service';
import { OutboxRelay } from './app/outbox-relay';
import { ReceiptService } from './app/receipt-service';
import { SyncService } from './app/sync-service';
import { TokenService } from './app/token-service';
import { UserService } from './app/user-service';
import { Argon2Hasher } from './adapters/password/argon2-hasher';
import type { Config } from './config';
import { openRateLimiters, type RateLimiters } from './adapters/rate-limit/flexible-limiter';
import { createHttpApp } from './http/app';
import { createLogger, type Logger } from './observability/logger';
import { countRateLimits, Metrics } from './observability/metrics';
import { openBackends } from './backends';
import { createFanOut } from './realtime/fan-out';
import { createLocalDelivery } from './realtime/local-delivery';
import { attachRawWebSocket } from './realtime/raw-ws-bridge';
import {
  attachSocketHandlers,
  createSocketServer,
} from './realtime/socket-server';
import { SocketIoSignals } from './realtime/socket-io-signals';
import { instrumentSocketServer } from './realtime/socket-metrics';

/** How long in-flight HTTP requests may take to finish at shutdown. */
const SHUTDOWN_DRAIN_MS = 5000;

export interface RunningNode {
  /** http://host:port of this node. */
  url: string;
  port: number;
  logger: Logger;
  /** Stops accepting, drains, and closes every connection this node opened, in order. */
  close(): Promise<void>;
}

export async function startNode(
  config: Config,
  logger: Logger = createLogger(config.logLevel, config.nodeId),
): Promise<RunningNode> {
  const clock = (): Date => new Date();
  const metrics = new Metrics({ nodeId: config.nodeId });
  const backends = await openBackends(config, logger, metrics);
  const { store, bus, presence } = backends;
  metrics.measureOutboxWith(() => store.countPendingMessageEvents());
  metrics.measureDlqWith(() => backends.deadLetterCount());

  let limiters: RateLimiters | null = null;
  try {
    limiters = await openRateLimiters(config, logger.child({ component: 'rate-limit' }));
    const rateLimits = countRateLimits(limiters, metrics);
    const tokens = new TokenService(config.jwt);
    const auth = new AuthService({ store, hasher: new Argon2Hasher(), tokens, clock });
    const users = new UserService({ store });
    const conversations = new ConversationService({
      store,
      bus,
      presence,
      clock,
      maxGroupSize: config.limits.maxGroupSize,
    });
    const messages = new MessageService({
      store,
      bus,
      clock,
      limits: config.limits,
      sendLimiter: rateLimits.sendLimiter,
      logger: logger.child({ component: 'messages' }),
    });
    // Decorated here so REST and both realtime transports are counted at their one entry point.
    messages.send = metrics.countReceived(messages.send.bind(messages));
    const receipts = new ReceiptService({ store, bus, clock });
    const sync = new SyncService({ store, messages, clock });

    const server: Server = createServer();
    let activeConnections = (): number => 0;
    const app = createHttpApp({
      config,
      logger,
      auth,
      users,
      conversations,
      messages,
      receipts,
      sync,
      rateLimits,
      metrics,
      health: {
        readiness: () => backends.readiness(),
        redisConnected: () => backends.redisConnected(),
        activeConnections: () => activeConnections(),
      },
    });
    server.on('request', app);

    const io = createSocketServer(server, config, backends.socketAdapter);
    const commands = new CommandHandler({
      store,
      messages,
      receipts,
      sync,
      signals: new SocketIoSignals(io),
      logger,
    });
    commands.execute = metrics.timeCommands(commands.execute.bind(commands));
    attachSocketHandlers(io, {
      config,
      auth,
      commands,
      sync,
      typingQuota: rateLimits.typing,
      presence,
      store,
      logger: logger.child({ component: 'socket.io' }),
      metrics,
    });
    activeConnections = () => io.of('/').sockets.size;
    instrumentSocketServer(io, metrics);
    const raw = attachRawWebSocket({
      httpServer: server,
      io,
      auth,
      config,
      logger: logger.child({ component: 'raw-ws' }),
      metrics,
    });

    const fanOutLog = logger.child({ component: 'fan-out' });
    await bus.subscribe(
      createFanOut({
        io,
        store,
        messages,
        receipts,
        sequencer: new DeliverySequencer({
          store,
          clock,
          onHole: (conversationId, seq) => {
            logger.warn({ conversationId, seq }, 'seq passed over as a hole by live delivery');
          },
        }),
        delivery: createLocalDelivery(io, {
          clustered: backends.socketAdapter !== undefined,
          onDelivered: (userId, conversationId, mark) => {
            receipts.confirmDelivered(userId, conversationId, mark).catch((err: unknown) => {
              fanOutLog.warn({ err, messageId: mark.messageId }, 'delivery receipt failed');
            });
          },
        }),
        logger: fanOutLog,
      }),
    );
    const relay = new OutboxRelay(
      { store, messages, logger: logger.child({ component: 'outbox' }) },
      { intervalMs: config.outboxRelayIntervalMs, graceMs: config.outboxRelayIntervalMs },
    );
    relay.start();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    logger.info({ port, backends: backends.describe() }, 'parley node listening');

    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}`,
      port,
      logger,
      close: () => {
        closing ??= (async () => {
          await relay.stop();
          // Stop accepting first; requests in flight get a bounded moment to finish.
          const drained = new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          });
          server.closeIdleConnections();
          await Promise.race([
            drained,
            new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_MS).unref()),
          ]);
          server.closeAllConnections();
          await raw.close();
          await io.close();
          await rateLimits.close();
          await backends.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await limiters?.close();
    await backends.close();
    throw err;
  }
}
