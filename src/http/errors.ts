// The one translation of any error into the wire shape; unknown errors become INTERNAL.
import { asKnownError } from '../app/unavailable';
import { AppError, httpStatusOf, type ErrorCode } from '../domain/errors';
import type { Logger } from '../observability/logger';

export interface WireError {
  status: number;
  code: ErrorCode;
  detail: string;
}

/** Body-parser and other HTTP-edge errors carry a `type`; map the ones clients can cause. */
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
  // Any other client error the HTTP stack flags as safe to expose (a malformed percent-encoding
  // in the path, an undecodable Content-Encoding...) is bad input, never a 500.
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
  const known = asKnownError(err) ?? edgeError(err);
  if (known) return { status: httpStatusOf[known.code], code: known.code, detail: known.message };
  logger.error({ err }, 'unhandled error');
  return { status: 500, code: 'INTERNAL', detail: 'internal server error' };
}
