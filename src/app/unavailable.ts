// Recognises a dependency outage (store unreachable) so callers answer 503/UNAVAILABLE, not 500.
import { AppError } from '../domain/errors';

const OUTAGE_NAMES = /^(Mongo|Mongoose)\w*(Network|ServerSelection|NotConnected|Timeout)\w*Error$/;

/** The AppError a client should see for `err`, or null when it is a genuine bug (→ INTERNAL). */
export function asKnownError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof Error && OUTAGE_NAMES.test(err.name)) {
    return new AppError('UNAVAILABLE', 'a backing service is unavailable; retry shortly');
  }
  return null;
}
