// PostgresStore: the Store port on PostgreSQL via a pg Pool — every operation one statement, so
// each is atomic by itself (the send's seq, message and outbox entry included) and no
// multi-statement transaction is needed. Each aggregate lives in its own file; this composes them
// on one pool, after the migrations have run.
import { Pool, type PoolClient } from 'pg';
import type { Store } from '../../../ports';
import { composeStore } from '../compose-store';
import { PostgresBlockStore } from './postgres-block-store';
import { PostgresConversationStore } from './postgres-conversation-store';
import { isTransientPostgresError } from './postgres-errors';
import { translatingErrors } from '../translating-errors';
import { PostgresMessageSearchStore } from './postgres-message-search-store';
import { PostgresMessageStore } from './postgres-message-store';
import { migratePostgres } from './postgres-migrate';
import { PostgresParticipantStore } from './postgres-participant-store';
import { PostgresPinStore } from './postgres-pin-store';
import { PostgresReactionStore } from './postgres-reaction-store';
import { PostgresSyncCursorStore } from './postgres-sync-cursor-store';
import { PostgresUserStore } from './postgres-user-store';
import { sqlCommandKind, sqlCommandOrigin, type StoreCommandListener } from '../store-commands';
import { StatementAdmission, type StatementAdmissionOptions } from './statement-admission';

export interface PostgresStoreOptions {
  /**
   * Connections the pool opens at most.
   * @default 10
   */
  poolSize?: number;
  /**
   * Server-side limit of every statement (`statement_timeout`); one that runs longer is
   * cancelled and surfaces as UnavailableError.
   * @default 5000
   */
  statementTimeoutMs?: number;
  /**
   * How long opening a connection (and `connect`) may take before it fails. (Waiting for a free
   * pooled connection is bounded by `queueTimeoutMs` instead: statements queue in-process.)
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Statements that may wait in-process for a pooled connection (beyond them, UNAVAILABLE at once).
   * @default 20000
   */
  queueLimit?: number;
  /**
   * How long a statement may wait in-process for a pooled connection before UNAVAILABLE.
   * @default 30000
   */
  queueTimeoutMs?: number;
  /** Told of every statement the store sends (not the migrations'). */
  onCommand?: StoreCommandListener;
}

export type PostgresStore = Store;

/** Credentials never reach error messages or logs (user:password@, or a password parameter). */
const redactUrl = (url: string): string =>
  url.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&]password=)[^&]*/gi, '$1***');

/**
 * Opens the pool and checks the server answers by checking out the connection the migrations
 * run on; the pool is ended again when the server does not answer or the migrations fail.
 */
async function openMigratedPool(url: string, options: PostgresStoreOptions): Promise<Pool> {
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: 'parley',
  });
  // An idle pooled connection that dies (server restart, network cut) emits 'error' on the pool;
  // without a listener that would crash the process. The pool drops the client; the next query
  // opens a new one, and a failing query surfaces as UnavailableError.
  pool.on('error', () => undefined);
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgresStore: cannot reach PostgreSQL at ${redactUrl(url)}: ${reason}`, {
      cause: error,
    });
  }
  try {
    await migratePostgres(client);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  if (options.onCommand) countQueries(pool, options.onCommand);
  return pool;
}

/** Every statement of the store goes through `pool.query`; this counts each as it is sent. */
function countQueries(pool: Pool, onCommand: StoreCommandListener): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const counted = (...args: unknown[]): unknown => {
    const [first] = args;
    const text =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first !== null && 'text' in first
          ? String(first.text)
          : '';
    onCommand(sqlCommandKind(text), sqlCommandOrigin(text));
    return query(...args);
  };
  pool.query = counted as Pool['query'];
}

/**
 * Every statement waits for one of the pool's connections in StatementAdmission's bounded queue
 * rather than in pg-pool's, whose wait is cut off by the connect timeout (5 s): a burst of
 * reconnects then waits its turn instead of failing by the hundred.
 */
function admitQueries(pool: Pool, options: StatementAdmissionOptions): StatementAdmission {
  const admission = new StatementAdmission(options);
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  const admitted = (...args: unknown[]): Promise<unknown> => admission.run(() => query(...args));
  pool.query = admitted as Pool['query'];
  return admission;
}

export const PostgresStore = {
  /** Opens a pool, fails fast when no server answers, and brings the schema up to date. */
  async connect(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
    const pool = await openMigratedPool(url, options);
    const admission = admitQueries(pool, {
      slots: options.poolSize ?? 10,
      maxQueued: options.queueLimit ?? 20_000,
      maxWaitMs: options.queueTimeoutMs ?? 30_000,
    });
    let closed: Promise<void> | undefined;
    const store = composeStore({
      users: new PostgresUserStore(pool),
      conversations: new PostgresConversationStore(pool),
      participants: new PostgresParticipantStore(pool),
      messages: new PostgresMessageStore(pool),
      cursors: new PostgresSyncCursorStore(pool),
      search: new PostgresMessageSearchStore(pool),
      pins: new PostgresPinStore(pool),
      blocks: new PostgresBlockStore(pool),
      reactions: new PostgresReactionStore(pool),
      ping: async () => {
        await pool.query('SELECT 1');
      },
      // Idempotent: the pool refuses a second end(). Statements still waiting for a connection
      // are refused (UNAVAILABLE, as on a draining node) rather than sent to an ended pool.
      close: () => {
        admission.close();
        return (closed ??= pool.end());
      },
    });
    // Driver and server outages become the domain's UnavailableError: clients get a retryable 503.
    return translatingErrors(store, isTransientPostgresError);
  },
};
