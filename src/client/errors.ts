// The client's one error type: a server ERROR frame (code, message, retryAfterMs), or a local
// failure (TIMEOUT after the last attempt, CLOSED after close()).

/** Codes a send retries with the same tempId instead of failing. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
]);

export class ParleyClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ParleyClientError';
  }
}
