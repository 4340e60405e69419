// Opens MongoStore's dedicated connection: fail fast when no server answers, bind the models, ensure the indexes.
import mongoose, { type Connection } from 'mongoose';
import { mongoCommandKind, mongoCommandOrigin, type StoreCommandListener } from '../store-commands';
import { createModels, type MongoModels } from './mongo-models';

export interface MongoStoreOptions {
  /**
   * How long to wait for a reachable server before an operation (and `connect`) fails.
   * @default 5000
   */
  serverSelectionTimeoutMS?: number;
  /** Told of every data command the store sends (driver command monitoring). */
  onCommand?: StoreCommandListener;
}

/** Credentials never reach error messages or logs. */
const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** Closes the connection again when anything fails, so a failed start leaves nothing open. */
export async function openMongoConnection(
  url: string,
  options: MongoStoreOptions,
): Promise<{ connection: Connection; models: MongoModels }> {
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    autoIndex: false,
    autoCreate: false,
    // The store exists only once connected; during an outage an operation should fail after the
    // server-selection timeout rather than sit in mongoose's own buffer.
    bufferCommands: false,
    ...(options.onCommand && { monitorCommands: true }),
  });

  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close(true);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`MongoStore: cannot reach MongoDB at ${redactUrl(url)}: ${reason}`, {
      cause: error,
    });
  }
  const { onCommand } = options;
  if (onCommand) {
    connection.getClient().on('commandStarted', (event) => {
      const kind = mongoCommandKind(event.commandName);
      if (kind) onCommand(kind, mongoCommandOrigin(event.command));
    });
  }
  const models = createModels(connection);
  try {
    // Explicit and awaited (not autoIndex in the background) so an index problem fails startup.
    await Promise.all([
      models.users.createIndexes(),
      models.conversations.createIndexes(),
      models.participants.createIndexes(),
      models.messages.createIndexes(),
      models.syncCursors.createIndexes(),
      models.blocks.createIndexes(),
    ]);
  } catch (error) {
    await connection.close(true);
    throw error;
  }
  return { connection, models };
}
