// Tells the MongoDB driver's transient failures (network, failover, pool cleared, timeouts) apart:
// the ones translating-errors.ts turns into the domain's UnavailableError (a retryable UNAVAILABLE).
import { MongoError, MongoNetworkError, MongoServerSelectionError } from 'mongodb';

const TRANSIENT_NAMES =
  /^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|PoolCleared|PoolClosed|TopologyClosed|WaitQueueTimeout)Error$/;
/** Server codes a failover or a stepping-down primary answers with (retry after election). */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

export function isTransientMongoError(err: unknown): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (!(err instanceof Error)) return false;
  if (TRANSIENT_NAMES.test(err.name)) return true;
  if (err instanceof MongoError) {
    if (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError'))
      return true;
    if (typeof err.code === 'number' && TRANSIENT_CODES.has(err.code)) return true;
  }
  // mongoose wraps a lost connection in its own error types.
  return /^Mongoose\w*(ServerSelection|NotConnected|Timeout)\w*Error$/.test(err.name);
}
