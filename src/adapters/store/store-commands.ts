// Counting what a durable store sends its database, as the driver sees it (the pg pool's queries,
// the MongoDB driver's command monitoring): how many reads and writes one delivered message costs.

export type StoreCommandKind = 'read' | 'write';

/**
 * Whom a command serves: a request (a send, a delivery, a REST call), or the node's own
 * background pass (the outbox relay's sweep and claims, a metrics scrape's pending count), which
 * runs on its own clock whatever the traffic. The adapters mark their background commands.
 */
export type CommandOrigin = 'request' | 'background';

/** Told of every command a store sends its database. */
export type StoreCommandListener = (kind: StoreCommandKind, origin: CommandOrigin) => void;

/** A SQL statement that changes rows (a data-modifying CTE included) is a write. */
export function sqlCommandKind(text: string): StoreCommandKind {
  return /\b(INSERT|UPDATE|DELETE)\b/i.test(text) ? 'write' : 'read';
}

/** Leads the text of a background statement (also visible in PostgreSQL's logs and stats). */
export const BACKGROUND_SQL = '/* parley:background */';

export function sqlCommandOrigin(text: string): CommandOrigin {
  return text.startsWith(BACKGROUND_SQL) ? 'background' : 'request';
}

/** The `comment` of a background MongoDB command (also visible in MongoDB's profiler and logs). */
export const BACKGROUND_COMMENT = 'parley:background';

export function mongoCommandOrigin(command: { comment?: unknown }): CommandOrigin {
  return command.comment === BACKGROUND_COMMENT ? 'background' : 'request';
}

const MONGO_READS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore']);
const MONGO_WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'bulkWrite']);

/** The kind of a MongoDB command, or null for one that is not a data command (handshakes, indexes). */
export function mongoCommandKind(commandName: string): StoreCommandKind | null {
  if (MONGO_READS.has(commandName)) return 'read';
  if (MONGO_WRITES.has(commandName)) return 'write';
  return null;
}
