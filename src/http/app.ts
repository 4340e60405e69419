// The Express app factory: middleware, routes, envelopes, the error mapper. No listen here.
import express, {
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
  type Response,
} from 'express';
import type { AuthService } from '../app/auth-service';
import type { BlockService } from '../app/block-service';
import type { ConversationService } from '../app/conversation-service';
import type { MuteService } from '../app/mute-service';
import type { PinService } from '../app/pin-service';
import type { ReactionService } from '../app/reaction-service';
import type { MessageService } from '../app/message-service';
import type { MessageSearchService } from '../app/message-search-service';
import type { ReceiptService } from '../app/receipt-service';
import type { SyncService } from '../app/sync-service';
import type { UserService } from '../app/user-service';
import type { Config } from '../config';
import { AppError } from '../domain/errors';
import type { Logger } from '../observability/logger';
import { toWireError } from '../app/wire-error';
import { authenticate } from './middleware/authenticate';
import { limitRequestsPerIp, limitWritesPerUser, type RequestQuota } from './middleware/rate-limit';
import { authRoutes } from './routes/auth-routes';
import { blockRoutes } from './routes/block-routes';
import { docsRoutes } from './routes/docs-routes';
import { conversationRoutes } from './routes/conversation-routes';
import { healthRoutes, type HealthProbe } from './routes/health-routes';
import { metricsRoutes, type MetricsSource } from './routes/metrics-routes';
import { messageRoutes } from './routes/message-routes';
import { messageSearchRoutes } from './routes/message-search-routes';
import { pinRoutes } from './routes/pin-routes';
import { reactionRoutes } from './routes/reaction-routes';
import { webClientRoutes } from './routes/web-client-routes';
import { refuseDeepJson } from './validate';

export interface HttpAppDeps {
  config: Pick<Config, 'limits' | 'corsOrigins' | 'trustProxy'> &
    Partial<Pick<Config, 'metricsToken' | 'webClient'>>;
  logger: Logger;
  auth: AuthService;
  users: UserService;
  conversations: ConversationService;
  mutes: MuteService;
  /** Pin routes; absent (e.g. a test app without them): not mounted. */
  pins?: PinService;
  blocks: BlockService;
  reactions: ReactionService;
  messages: MessageService;
  receipts: ReceiptService;
  sync: SyncService;
  messageSearch: MessageSearchService;
  health: HealthProbe;
  /** Serves GET /metrics when given (outside the per-IP budget: scrapers poll it). */
  metrics?: MetricsSource;
  /** Cluster-wide budgets: every request per IP, and writes per authenticated user. */
  rateLimits: { ipRequests: RequestQuota; restWrites: RequestQuota };
}

function cors(origins: '*' | string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (origins === '*' || origins.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** IETF RateLimit-* headers of a 429, from the budget the RATE_LIMITED error describes. */
function setRateLimitHeaders(res: Response, err: unknown, retryAfterMs: number): void {
  const details: unknown = err instanceof AppError ? err.details : undefined;
  const limit = (details as { limit?: unknown } | undefined)?.limit;
  if (typeof limit === 'number') res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', '0');
  res.setHeader('RateLimit-Reset', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  app.use(cors(config.corsOrigins));
  app.use(healthRoutes(deps.health));
  if (deps.metrics) app.use(metricsRoutes(deps.metrics, config.metricsToken));
  app.use(limitRequestsPerIp(deps.rateLimits.ipRequests));
  app.use(docsRoutes());
  if (config.webClient) app.use(webClientRoutes());
  // Any declared type is parsed as JSON, so a missing Content-Type cannot smuggle past validation.
  app.use(
    express.json({
      limit: config.limits.maxBodyBytes,
      type: () => true,
      strict: false,
      verify: refuseDeepJson,
    }),
  );

  app.use('/api/v1/auth', authRoutes(deps.auth));
  const messaging = express.Router();
  messaging.use(authenticate(deps.auth));
  messaging.use(limitWritesPerUser(deps.rateLimits.restWrites));
  messaging.use(
    conversationRoutes({
      conversations: deps.conversations,
      mutes: deps.mutes,
      users: deps.users,
    }),
  );
  messaging.use(messageRoutes(deps.messages, deps.receipts, deps.sync));
  messaging.use(messageSearchRoutes(deps.messageSearch));
  if (deps.pins) messaging.use(pinRoutes(deps.pins));
  messaging.use(blockRoutes(deps.blocks));
  messaging.use(reactionRoutes(deps.reactions));
  app.use('/api/v1/messages', messaging);

  app.use((req, _res, next) => {
    next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const wire = toWireError(err, logger.child({ method: req.method, path: req.path }));
    if (wire.retryAfterMs !== undefined) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(wire.retryAfterMs / 1000))));
    }
    if (wire.code === 'RATE_LIMITED') setRateLimitHeaders(res, err, wire.retryAfterMs ?? 1000);
    res.status(wire.status).json({ success: false, detail: wire.message, code: wire.code });
  };
  app.use(onError);
  return app;
}
