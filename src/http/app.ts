// The Express app factory: middleware, routes, envelopes, the error mapper. No listen here.
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { AuthService } from '../app/auth-service';
import type { ConversationService } from '../app/conversation-service';
import type { MessageService } from '../app/message-service';
import type { ReceiptService } from '../app/receipt-service';
import type { UserService } from '../app/user-service';
import type { Config } from '../config';
import { AppError } from '../domain/errors';
import type { Logger } from '../observability/logger';
import { toWireError } from './errors';
import { authenticate } from './middleware/authenticate';
import { limitRequestsPerIp } from './middleware/rate-limit';
import { authRoutes } from './routes/auth-routes';
import { conversationRoutes } from './routes/conversation-routes';
import { healthRoutes, type HealthProbe } from './routes/health-routes';
import { messageRoutes } from './routes/message-routes';

export interface HttpAppDeps {
  config: Pick<Config, 'limits' | 'corsOrigins' | 'trustProxy'>;
  logger: Logger;
  auth: AuthService;
  users: UserService;
  conversations: ConversationService;
  messages: MessageService;
  receipts: ReceiptService;
  health: HealthProbe;
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

export function createHttpApp(deps: HttpAppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  app.use(cors(config.corsOrigins));
  app.use(healthRoutes(deps.health));
  app.use(limitRequestsPerIp(config.limits.ipRequestsPerSecond, config.limits.ipRequestsBurst));
  // Any declared type is parsed as JSON, so a missing Content-Type cannot smuggle past validation.
  app.use(express.json({ limit: config.limits.maxBodyBytes, type: () => true, strict: false }));

  app.use('/api/v1/auth', authRoutes(deps.auth));
  const messaging = express.Router();
  messaging.use(authenticate(deps.auth));
  messaging.use(conversationRoutes({ conversations: deps.conversations, users: deps.users }));
  messaging.use(messageRoutes(deps.messages, deps.receipts));
  app.use('/api/v1/messages', messaging);

  app.use((req, _res, next) => {
    next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const wire = toWireError(err, logger.child({ method: req.method, path: req.path }));
    res.status(wire.status).json({ success: false, detail: wire.detail, code: wire.code });
  };
  app.use(onError);
  return app;
}
