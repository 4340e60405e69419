// Counting what a durable store sends its database, as the driver sees it (the pg pool's queries,
// the MongoDB driver's command monitoring): how many reads and writes one delivered message costs.

export type StoreCommandKind = 'read' | 'write';

/** Told of every command a store sends its database. */
export type StoreCommandListener = (kind: StoreCommandKind) => void;

/** A SQL statement that changes rows (a data-modifying CTE included) is a write. */
export function sqlCommandKind(text: string): StoreCommandKind {
  return /\b(INSERT|UPDATE|DELETE)\b/i.test(text) ? 'write' : 'read';
}

const MONGO_READS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore']);
const MONGO_WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'bulkWrite']);

/** The kind of a MongoDB command, or null for one that is not a data command (handshakes, indexes). */
export function mongoCommandKind(commandName: string): StoreCommandKind | null {
  if (MONGO_READS.has(commandName)) return 'read';
  if (MONGO_WRITES.has(commandName)) return 'write';
  return null;
}
