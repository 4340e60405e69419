// The one error type of Parley: a closed set of machine codes, each with one HTTP status.

/** Every machine-readable error code the server can answer with. */
export type ErrorCode =
  | 'VALIDATION'
  | 'BAD_FRAME'
  | 'UNKNOWN_TYPE'
  | 'UNAUTHORIZED'
  | 'NOT_PARTICIPANT'
  | 'NOT_ADMIN'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'IDEMPOTENCY_CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'FRAME_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'NOT_IMPLEMENTED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'BLOCKED';

/** HTTP status for each code; the only place statuses are decided. */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION: 400,
  BAD_FRAME: 400,
  UNKNOWN_TYPE: 400,
  UNAUTHORIZED: 401,
  NOT_PARTICIPANT: 403,
  NOT_ADMIN: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  FRAME_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  BLOCKED: 403,
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** For RATE_LIMITED and UNAVAILABLE: when a retry may succeed (HTTP Retry-After, frame retryAfterMs). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * A dependency failed in a way a retry can fix (connection lost, failover, timeout). Each adapter
 * translates its driver's transient errors into this, so no driver knowledge leaks into `app`.
 */
export class UnavailableError extends AppError {
  constructor(
    readonly dependency: string,
    cause?: unknown,
    retryAfterMs = 1000,
  ) {
    super('UNAVAILABLE', `${dependency} is unavailable; retry shortly`, undefined, retryAfterMs);
    this.name = 'UnavailableError';
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * A request refused on purpose to shed load (backpressure): retryable like any UNAVAILABLE, but
 * expected under overload, so it is made without a stack trace and not logged one by one (the
 * shedder reports them in bulk). A node refusing thousands a second had spent a tenth of its time
 * capturing and logging their stacks, time taken from the work it was shedding load to do.
 */
export class LoadShedError extends UnavailableError {
  static create(dependency: string, retryAfterMs: number): LoadShedError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new LoadShedError(dependency, retryAfterMs);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  private constructor(dependency: string, retryAfterMs: number) {
    super(dependency, undefined, retryAfterMs);
    this.name = 'LoadShedError';
  }
}

export const isUnavailable = (e: unknown): e is UnavailableError => e instanceof UnavailableError;

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

export const validationError = (message: string, details?: unknown): AppError =>
  new AppError('VALIDATION', message, details);
export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);
export const notParticipant = (): AppError =>
  new AppError('NOT_PARTICIPANT', 'you are not a participant of this conversation');
export const rateLimited = (message: string, retryAfterMs: number): AppError =>
  new AppError('RATE_LIMITED', message, undefined, Math.max(1, Math.ceil(retryAfterMs)));
export const notAdmin = (): AppError => new AppError('NOT_ADMIN', 'only a group admin can do this');
