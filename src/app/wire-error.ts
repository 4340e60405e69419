// The one translation of any error into what a client sees — an HTTP status and body, an ack, or
// an ERROR frame. Known errors keep their code; everything else is INTERNAL, logged, not leaked.
import { AppError, httpStatusOf, LoadShedError, type ErrorCode } from '../domain/errors';
import type { Logger } from '../observability/logger';

export interface WireError {
  status: number;
  code: ErrorCode;
  message: string;
  /** When a retry may succeed (RATE_LIMITED, UNAVAILABLE). */
  retryAfterMs?: number;
}

/**
 * Errors raised by the HTTP stack before a route runs (body parsing, decoding) carry a `type` or
 * an `expose`d 4xx status; those are the client's input, never a 500. Recognised structurally,
 * so this file needs no framework import.
 */
function edgeError(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large')
    return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (type === 'entity.parse.failed')
    return new AppError('VALIDATION', 'request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError('VALIDATION', 'unsupported body encoding');
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return new AppError('VALIDATION', 'request body was incomplete');
  }
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  if (expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    return new AppError('VALIDATION', err instanceof Error ? err.message : 'bad request');
  }
  if (err instanceof URIError)
    return new AppError('VALIDATION', 'the URL is not correctly encoded');
  return null;
}

export function toWireError(err: unknown, logger: Logger): WireError {
  const known = err instanceof AppError ? err : edgeError(err);
  if (known) {
    // Shed load is reported in bulk by whoever shed it.
    if (known.code === 'UNAVAILABLE' && !(known instanceof LoadShedError))
      logger.warn({ err }, 'dependency unavailable');
    else if (known.code === 'INTERNAL') logger.error({ err }, 'internal error');
    return {
      status: httpStatusOf[known.code],
      code: known.code,
      message: known.message,
      ...(known.retryAfterMs !== undefined && { retryAfterMs: known.retryAfterMs }),
    };
  }
  logger.error({ err }, 'unhandled error');
  return { status: 500, code: 'INTERNAL', message: 'internal server error' };
}
