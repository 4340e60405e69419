// startNode: builds one Parley node from a Config (adapters → services → servers) and
// returns how to reach and stop it. Tests boot real nodes in-process through it (port 0).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthService } from './app/auth-service';
import { BlockService } from './app/block-service';
import { CommandHandler } from './app/command-handler';
import { DeliverySequencer } from './app/delivery-sequencer';
import { ConversationService } from './app/conversation-service';
import { MuteService } from './app/mute-service';
import { PinService } from './app/pin-service';
import { ReactionService } from './app/reaction-service';
import { MessageService } from './app/message-service';
import { MessageSearchService } from './app/message-search-service';
import { Backpressure } from './app/backpressure';
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
import { DrainGate, finishesWithin, reconnectDelayMs } from './node-drain';
import { askClientsToReconnect, closeClientsForRestart } from './realtime/client-drain';
import { createFanOut } from './realtime/fan-out';
import { createLocalDelivery } from './realtime/local-delivery';
import { attachRawWebSocket } from './realtime/raw-ws-bridge';
import { attachSocketHandlers, createSocketServer } from './realtime/socket-server';
import { SocketIoSignals } from './realtime/socket-io-signals';
import { bulkReport } from './observability/bulk-report';
import { instrumentSocketServer } from './realtime/socket-metrics';
import { openWebhooks } from './webhooks';
import type { WebhookQueue } from './ports';

/** Kept back from DRAIN_TIMEOUT_MS for the last step, closing servers and backends. */
const CLOSE_RESERVE_MS = 1500;
/** How long clients get to finish their close handshakes before the servers cut them off. */
const CLIENT_CLOSE_MS = 1000;

export interface RunningNode {
  /** http://host:port of this node. */
  url: string;
  port: number;
  logger: Logger;
  /**
   * Drains (docs/PROTOCOL.md §6.6) and closes every connection this node opened, in order,
   * within DRAIN_TIMEOUT_MS.
   */
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
  const gate = new DrainGate();

  let limiters: RateLimiters | null = null;
  let webhooks: WebhookQueue | null = null;
  try {
    limiters = await openRateLimiters(config, logger.child({ component: 'rate-limit' }));
    const rateLimits = countRateLimits(limiters, metrics);
    const tokens = new TokenService(config.jwt);
    const auth = new AuthService({
      store,
      hasher: new Argon2Hasher(config.passwordKdf),
      tokens,
      clock,
    });
    const users = new UserService({ store });
    const conversations = new ConversationService({
      store,
      bus,
      presence,
      clock,
      maxGroupSize: config.limits.maxGroupSize,
    });
    const mutes = new MuteService({ store, bus, clock, conversations });
    const blocks = new BlockService({ store, clock });
    const reactions = new ReactionService({ store, bus, clock });
    const refusals = bulkReport(
      logger.child({ component: 'backpressure' }),
      'sends refused while delivery was behind',
    );
    const messages: MessageService = new MessageService({
      store,
      bus,
      clock,
      limits: config.limits,
      sendLimiter: rateLimits.sendLimiter,
      backpressure: new Backpressure({
        // Events not yet taken by a consumer, the ones still on their way to the broker included.
        backlog: () => (bus.backlog?.() ?? 0) + messages.dispatching(),
        ...config.backpressure,
        onRefused: refusals.count,
      }),
      logger: logger.child({ component: 'messages' }),
      onDeleted: (userId, message): Promise<void> => pins.unpinDeleted(userId, message),
    });
    const pins: PinService = new PinService({ store, bus, clock, messages });
    // Decorated here so REST and both realtime transports are counted at their one entry point.
    messages.send = metrics.countReceived(messages.send.bind(messages));
    const receipts = new ReceiptService({ store, bus, clock });
    const sync = new SyncService({ store, messages, clock });
    const messageSearch = new MessageSearchService({ store, messages });

    const server: Server = createServer();
    let activeConnections = (): number => 0;
    const app = createHttpApp({
      config,
      logger,
      auth,
      users,
      conversations,
      mutes,
      pins,
      blocks,
      reactions,
      messages,
      receipts,
      sync,
      messageSearch,
      rateLimits,
      metrics,
      health: {
        // Draining: not ready, whatever the backends say, so no balancer picks this node.
        readiness: async () => {
          const state = await backends.readiness();
          if (!gate.isDraining) return state;
          return { ready: false, checks: { ...state.checks, accepting: false } };
        },
        redisConnected: () => backends.redisConnected(),
        activeConnections: () => activeConnections(),
      },
    });
    server.on('request', app);

    const io = createSocketServer(server, config, backends.socketAdapter);
    const commands = new CommandHandler({
      store,
      reactions,
      messages,
      receipts,
      sync,
      signals: new SocketIoSignals(io),
      logger,
      pins,
    });
    commands.execute = gate.guardCommands(metrics.timeCommands(commands.execute.bind(commands)));
    const socketHandlers = attachSocketHandlers(io, {
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
    // Last of the listeners: the gate goes in front of Express, engine.io and the raw bridge.
    gate.install(server);

    const fanOutLog = logger.child({ component: 'fan-out' });
    const sequencer = new DeliverySequencer({
      store,
      clock,
      onHole: (conversationId, seq) => {
        logger.warn({ conversationId, seq }, 'seq passed over as a hole by live delivery');
      },
      onRecordFailed: (err) => {
        fanOutLog.warn({ err }, 'recording emitted positions failed');
      },
    });
    await bus.subscribe(
      createFanOut({
        io,
        store,
        messages,
        receipts,
        sequencer,
        delivery: createLocalDelivery(io, {
          clustered: backends.socketAdapter !== undefined,
          written: () => {
            metrics.messagesDelivered();
          },
          onDelivered: (userId, conversationId, mark) => {
            receipts.acknowledgeDelivered(userId, conversationId, mark, (err) => {
              fanOutLog.warn({ err, messageId: mark.messageId }, 'delivery receipt failed');
            });
          },
        }),
        logger: fanOutLog,
      }),
    );
    // Beside the fan-out, never inside it: a slow or failing receiver delays no emit.
    webhooks = await openWebhooks(config, { store, bus, presence, clock, logger, metrics });
    const relay = new OutboxRelay(
      { store, messages, logger: logger.child({ component: 'outbox' }) },
      { intervalMs: config.outboxRelayIntervalMs, graceMs: config.outboxRelayIntervalMs },
    );
    relay.start();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: config.port, host: config.host, backlog: config.listenBacklog }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    logger.info({ port, backends: backends.describe() }, 'parley node listening');

    const drainLog = logger.child({ component: 'drain' });
    const drainAndClose = async (): Promise<void> => {
      const startedAt = Date.now();
      const deadline =
        startedAt + config.drainTimeoutMs - Math.min(CLOSE_RESERVE_MS, config.drainTimeoutMs / 4);
      const left = (): number => Math.max(0, deadline - Date.now());
      // 1. Nothing new: /readyz and new requests or handshakes 503, new commands UNAVAILABLE;
      // every client hears where this is going.
      gate.start();
      const told = askClientsToReconnect(io, () => reconnectDelayMs(config.drainTimeoutMs));
      drainLog.info({ clients: told, timeoutMs: config.drainTimeoutMs }, 'draining');
      // 2. Finish what runs: requests, commands (their replies still reach their sockets), and
      // consumer handlers; cancelling the consumers hands this node's partitions to another.
      const settled = await finishesWithin(
        left(),
        Promise.all([
          // Requests and commands, then the publishes of the sends they answered.
          gate.idle().then(() => messages.dispatched()),
          // The emitted positions go in too, so the node taking over resumes right after them.
          backends.stopConsuming().then(() => sequencer.recorded()),
          relay.stop(),
          // Attempts in flight finish (a durable queue keeps what is not due yet).
          webhooks?.close(),
        ]),
      );
      // 3. Clients go (raw 1012, Socket.IO transport close); they come back elsewhere and SYNC.
      // Their last-active stamps are written before the store closes.
      await closeClientsForRestart(io, Math.min(left(), CLIENT_CLOSE_MS));
      await finishesWithin(left(), socketHandlers.stampsWritten());
      // 4. One outbox pass, as the relay's timer would run it (events pending past its grace;
      // younger ones are left to the relays of the nodes that stay).
      const flushed = await finishesWithin(left(), relay.drain());
      // 5. Servers, then limiters, then backends (bus, presence, Redis, store).
      const serverClosed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      await finishesWithin(Math.min(left(), CLIENT_CLOSE_MS), serverClosed);
      server.closeAllConnections();
      await raw.close();
      await io.close();
      await rateLimits.close();
      await webhooks?.close();
      await backends.close();
      drainLog.info({ ms: Date.now() - startedAt, settled, flushed }, 'drained and closed');
    };

    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}`,
      port,
      logger,
      close: () => {
        closing ??= drainAndClose();
        return closing;
      },
    };
  } catch (err) {
    await webhooks?.close();
    await limiters?.close();
    await backends.close();
    throw err;
  }
}
