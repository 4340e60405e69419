// The only reader of process.env: a zod schema turns the environment into a typed Config.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().default('0.0.0.0'),
  LISTEN_BACKLOG: positiveInt(4096),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  MONGODB_URL: optionalUrl(['mongodb', 'mongodb+srv']),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(5000),
  DATABASE_QUEUE_LIMIT: positiveInt(20_000),
  DATABASE_QUEUE_TIMEOUT_MS: positiveInt(30_000),
  RABBITMQ_URL: optionalUrl(['amqp', 'amqps']),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  JWT_SECRET: z.string().min(1, 'must not be empty').optional(),
  JWT_PUBLIC_KEY: z
    .string()
    .includes('-----BEGIN', { message: 'must be a PEM public key' })
    .optional(),
  JWT_PRIVATE_KEY: z
    .string()
    .includes('-----BEGIN', { message: 'must be a PEM private key' })
    .optional(),
  JWT_EXPIRES_IN_SECONDS: positiveInt(7 * 24 * 3600),
  PASSWORD_KDF: z.enum(['standard', 'fast']).default('standard'),
  NODE_ENV: z.string().optional(),
  CORS_ORIGINS: z.string().default('*'),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .transform((v) => (v === 'warning' ? 'warn' : v))
    .pipe(z.enum(LOG_LEVELS))
    .default('info'),
  MAX_MESSAGE_LENGTH: positiveInt(4000),
  MAX_MEDIA_ITEMS: positiveInt(10),
  MAX_FRAME_BYTES: positiveInt(65536),
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  MAX_GROUP_SIZE: positiveInt(1000),
  MAX_SOCKET_BUFFER_BYTES: positiveInt(8 * 1024 * 1024),
  RATE_LIMIT_MESSAGES_PER_SECOND: positiveInt(20),
  RATE_LIMIT_MESSAGES_BURST: positiveInt(100),
  RATE_LIMIT_IP_PER_SECOND: positiveInt(500),
  RATE_LIMIT_IP_BURST: positiveInt(1000),
  RATE_LIMIT_FRAMES_PER_SECOND: positiveInt(50),
  RATE_LIMIT_FRAMES_BURST: positiveInt(200),
  RATE_LIMIT_TYPING_PER_SECOND: positiveInt(5),
  RATE_LIMIT_TYPING_BURST: positiveInt(20),
  RATE_LIMIT_WRITES_PER_SECOND: positiveInt(50),
  RATE_LIMIT_WRITES_BURST: positiveInt(200),
  OUTBOX_RELAY_INTERVAL_MS: positiveInt(5000),
  BACKPRESSURE_MAX_BACKLOG: positiveInt(500),
  BACKPRESSURE_MAX_WAIT_MS: positiveInt(2000),
  BUS_PARTITIONS: z.coerce.number().int().min(1).max(256).default(8),
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(1).max(30).default(30),
  REDIS_CHANNEL_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .default('socket.io'),
  SOCKET_ADAPTER: z.enum(['classic', 'sharded']).default('classic'),
  DRAIN_TIMEOUT_MS: positiveInt(10_000),
  TRUST_PROXY: z.string().default('loopback'),
  METRICS_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  WEB_CLIENT: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['on', 'off', 'true', 'false', '1', '0', '']))
    .optional(),
  WEBHOOK_URL: optionalUrl(['http', 'https']),
  WEBHOOK_SECRET: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  WEBHOOK_TIMEOUT_MS: positiveInt(5000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  WEBHOOK_RETRY_BASE_MS: positiveInt(1000),
  WEBHOOK_RETRY_MAX_MS: positiveInt(300_000),
});

export interface Config {
  port: number;
  host: string;
  /**
   * Connections the kernel may hold for the node before it accepts them (capped by the system's
   * `net.core.somaxconn`): above node's 511, so a burst of reconnects is not dropped at SYN and
   * left to the client's retransmission backoff (seconds) while the event loop is busy.
   * @default 4096
   */
  listenBacklog: number;
  nodeId: string;
  mongodbUrl: string | undefined;
  /** PostgreSQL instead of MongoDB (never both). */
  databaseUrl: string | undefined;
  /** PostgreSQL connections per node. @default 10 */
  databasePoolSize: number;
  /** A PostgreSQL statement running longer is cancelled (the request gets a 503). @default 5000 */
  databaseStatementTimeoutMs: number;
  /**
   * PostgreSQL statements that may wait in-process for a pooled connection; one more gets a 503.
   * @default 20000
   */
  databaseQueueLimit: number;
  /** How long a PostgreSQL statement may wait for a pooled connection (then a 503). @default 30000 */
  databaseQueueTimeoutMs: number;
  rabbitmqUrl: string | undefined;
  redisUrl: string | undefined;
  jwt: {
    /** HS256 secret Parley signs its own tokens with (and verifies HS256 tokens with). */
    secret: string | undefined;
    /** PEM key for RS256/ES256 tokens minted by an existing platform. */
    publicKey: string | undefined;
    /** PEM key to sign with instead of the secret (RS256/ES256 deployments). */
    privateKey: string | undefined;
    expiresInSeconds: number;
    /** True when the secret was generated at start (embedded mode only). */
    generated: boolean;
  };
  /**
   * Argon2id cost of new password hashes: `standard` (the library's defaults), or `fast` (the
   * minimum cost, for benchmarks that register thousands of users; refused when NODE_ENV is
   * production). Existing hashes verify either way. @default 'standard'
   */
  passwordKdf: 'standard' | 'fast';
  corsOrigins: '*' | string[];
  logLevel: (typeof LOG_LEVELS)[number];
  limits: {
    maxMessageLength: number;
    maxMediaItems: number;
    maxFrameBytes: number;
    maxBodyBytes: number;
    /** Current participants a group may have (creator included). @default 1000 */
    maxGroupSize: number;
    /**
     * Unsent bytes a socket may queue (a client that stops reading); past it the socket is cut
     * off instead of buffering without bound. @default 8 MiB
     */
    maxSocketBufferBytes: number;
    /** Per user, shared by every node (Redis when REDIS_URL is set). */
    messagesPerSecond: number;
    messagesBurst: number;
    /** REST requests per client IP, shared by every node. */
    ipRequestsPerSecond: number;
    ipRequestsBurst: number;
    /** Realtime frames per socket (all types). */
    framesPerSecond: number;
    framesBurst: number;
    /** TYPING frames per user, shared by every node. */
    typingPerSecond: number;
    typingBurst: number;
    /** REST writes (POST/PATCH/DELETE) per user, shared by every node. */
    writesPerSecond: number;
    writesBurst: number;
  };
  /**
   * Sends wait while this many events are published and not yet taken by a consumer (delivery is
   * behind), and are refused UNAVAILABLE after `maxWaitMs`. @default 500 events, 2000 ms
   */
  backpressure: { maxBacklog: number; maxWaitMs: number };
  /** How often stuck `message.sent` events are republished (and how old they must be). */
  outboxRelayIntervalMs: number;
  /** Consumer queues `message_consumer.<k>`; fixed per deployment (they are its topology). */
  busPartitions: number;
  /** Lifetime of a node's presence heartbeat: a dead node's users go offline within it. */
  presenceTtlSeconds: number;
  /** Channel prefix of the Socket.IO Redis adapter (lets test clusters share one Redis). */
  redisChannelPrefix: string;
  /**
   * Which Socket.IO Redis adapter carries emits between nodes: `classic` (PUBLISH; every node
   * receives every broadcast) or `sharded` (Redis 7 SPUBLISH with a channel per room, so a
   * single-room broadcast reaches only nodes with members in it). @default 'classic'
   */
  socketAdapter: 'classic' | 'sharded';
  /**
   * How long a node may take from SIGTERM to exit: it stops accepting, moves its clients, finishes
   * in-flight work and flushes the outbox within it. @default 10000
   */
  drainTimeoutMs: number;
  trustProxy: string;
  /** Bearer token GET /metrics requires; unset → /metrics is open (keep it off the public proxy). */
  metricsToken: string | undefined;
  /**
   * Serve the demo web client at `/`. @default on in embedded mode (no MONGODB_URL, DATABASE_URL, RABBITMQ_URL
   * or REDIS_URL), off in cluster mode
   */
  webClient: boolean;
  /** `message.created` webhooks for offline recipients (docs/PROTOCOL.md §5.16); unset → off. */
  webhook: WebhookConfig | undefined;
}

export interface WebhookConfig {
  /** Where each notification is POSTed (http or https). */
  url: string;
  /** Key of the `X-Parley-Signature` HMAC-SHA256. */
  secret: string;
  /** One attempt's limit, response included. @default 5000 */
  timeoutMs: number;
  /** Attempts of one notification, the first included, before it is given up. @default 8 */
  maxAttempts: number;
  /** Backoff before the first retry; doubles per failure (jittered). @default 1000 */
  retryBaseMs: number;
  /** Cap on one backoff (and on a receiver's Retry-After). @default 300000 */
  retryMaxMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  if (e.MONGODB_URL && e.DATABASE_URL) {
    throw new ConfigError([
      'MONGODB_URL, DATABASE_URL: set one of them — MongoDB and PostgreSQL are alternative stores, not replicas',
    ]);
  }
  const durableStore = e.MONGODB_URL ? 'MONGODB_URL' : e.DATABASE_URL ? 'DATABASE_URL' : undefined;
  if (!e.JWT_SECRET && !e.JWT_PUBLIC_KEY && durableStore) {
    throw new ConfigError([
      `JWT_SECRET: required when ${durableStore} is set (or set JWT_PUBLIC_KEY for platform tokens)`,
    ]);
  }
  if (e.PASSWORD_KDF === 'fast' && e.NODE_ENV === 'production') {
    throw new ConfigError([
      'PASSWORD_KDF: fast hashes are for benchmarks only and refused when NODE_ENV=production',
    ]);
  }
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) {
    throw new ConfigError([
      'WEBHOOK_SECRET: required when WEBHOOK_URL is set (receivers verify the signature with it)',
    ]);
  }
  const generated = !e.JWT_SECRET && !e.JWT_PUBLIC_KEY;
  return {
    port: e.PORT,
    host: e.HOST,
    listenBacklog: e.LISTEN_BACKLOG,
    nodeId: e.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`,
    mongodbUrl: e.MONGODB_URL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseQueueLimit: e.DATABASE_QUEUE_LIMIT,
    databaseQueueTimeoutMs: e.DATABASE_QUEUE_TIMEOUT_MS,
    rabbitmqUrl: e.RABBITMQ_URL,
    redisUrl: e.REDIS_URL,
    jwt: {
      secret: generated ? randomBytes(32).toString('hex') : e.JWT_SECRET,
      publicKey: e.JWT_PUBLIC_KEY,
      privateKey: e.JWT_PRIVATE_KEY,
      expiresInSeconds: e.JWT_EXPIRES_IN_SECONDS,
      generated,
    },
    passwordKdf: e.PASSWORD_KDF,
    corsOrigins:
      e.CORS_ORIGINS.trim() === '*'
        ? '*'
        : e.CORS_ORIGINS.split(',')
            .map((o) => o.trim())
            .filter(Boolean),
    logLevel: e.LOG_LEVEL,
    limits: {
      maxMessageLength: e.MAX_MESSAGE_LENGTH,
      maxMediaItems: e.MAX_MEDIA_ITEMS,
      maxFrameBytes: e.MAX_FRAME_BYTES,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxGroupSize: e.MAX_GROUP_SIZE,
      maxSocketBufferBytes: e.MAX_SOCKET_BUFFER_BYTES,
      messagesPerSecond: e.RATE_LIMIT_MESSAGES_PER_SECOND,
      messagesBurst: e.RATE_LIMIT_MESSAGES_BURST,
      ipRequestsPerSecond: e.RATE_LIMIT_IP_PER_SECOND,
      ipRequestsBurst: e.RATE_LIMIT_IP_BURST,
      framesPerSecond: e.RATE_LIMIT_FRAMES_PER_SECOND,
      framesBurst: e.RATE_LIMIT_FRAMES_BURST,
      typingPerSecond: e.RATE_LIMIT_TYPING_PER_SECOND,
      typingBurst: e.RATE_LIMIT_TYPING_BURST,
      writesPerSecond: e.RATE_LIMIT_WRITES_PER_SECOND,
      writesBurst: e.RATE_LIMIT_WRITES_BURST,
    },
    redisChannelPrefix: e.REDIS_CHANNEL_PREFIX,
    socketAdapter: e.SOCKET_ADAPTER,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    presenceTtlSeconds: e.PRESENCE_TTL_SECONDS,
    outboxRelayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
    backpressure: {
      maxBacklog: e.BACKPRESSURE_MAX_BACKLOG,
      maxWaitMs: e.BACKPRESSURE_MAX_WAIT_MS,
    },
    busPartitions: e.BUS_PARTITIONS,
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    webClient:
      e.WEB_CLIENT === undefined || e.WEB_CLIENT === ''
        ? !durableStore && !e.RABBITMQ_URL && !e.REDIS_URL
        : ['on', 'true', '1'].includes(e.WEB_CLIENT),
    webhook:
      e.WEBHOOK_URL && e.WEBHOOK_SECRET
        ? {
            url: e.WEBHOOK_URL,
            secret: e.WEBHOOK_SECRET,
            timeoutMs: e.WEBHOOK_TIMEOUT_MS,
            maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
            retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
            retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
          }
        : undefined,
  };
}
