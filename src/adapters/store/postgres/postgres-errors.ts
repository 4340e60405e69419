// Tells PostgreSQL's transient failures (connection lost or refused, server shutting down or
// full, statement timeouts, serialization failures and deadlocks) apart, for translating-errors.ts
// to turn them into the domain's UnavailableError (a retryable UNAVAILABLE, never INTERNAL).

/** Socket-level failures node reports while connecting to or talking with the server. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs a retry can fix: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
 * cannot_connect_now, 53300 too_many_connections, 57014 query_canceled (statement_timeout),
 * 40001 serialization_failure, 40P01 deadlock_detected. Class 08 (connection exception) is
 * matched by prefix.
 */
const TRANSIENT_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
  '40001',
  '40P01',
]);

/** What pg and pg-pool throw, without a code, when a connection dies or cannot be had in time. */
const TRANSIENT_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Query read timeout)/;

export function isTransientPostgresError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    // SQLSTATEs are five characters; class 08 is every connection exception.
    if (code.length === 5 && code.startsWith('08')) return true;
  }
  if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
  // Connecting to a host name with several addresses fails with an AggregateError of each try.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isTransientPostgresError);
}
