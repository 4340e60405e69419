// MongoStore: the Store port on MongoDB via mongoose — single-document atomic updates, no
// transactions. Each aggregate lives in its own file; this composes them on one connection.
import type { Store } from '../../../ports';
import { composeStore } from '../compose-store';
import { MongoBlockStore } from './mongo-block-store';
import { openMongoConnection, type MongoStoreOptions } from './mongo-connection';
import { MongoConversationStore } from './mongo-conversation-store';
import { isTransientMongoError } from './mongo-errors';
import { translatingErrors } from '../translating-errors';
import { MongoMessageSearchStore } from './mongo-message-search-store';
import { MongoMessageStore } from './mongo-message-store';
import { MongoParticipantStore } from './mongo-participant-store';
import { MongoPinStore } from './mongo-pin-store';
import { MongoReactionStore } from './mongo-reaction-store';
import { MongoSyncCursorStore } from './mongo-sync-cursor-store';
import { MongoUserStore } from './mongo-user-store';

export type { MongoStoreOptions } from './mongo-connection';
export type MongoStore = Store;

export const MongoStore = {
  /** Opens a dedicated connection, fails fast when no server answers, and ensures the indexes. */
  async connect(url: string, options: MongoStoreOptions = {}): Promise<Store> {
    const { connection, models } = await openMongoConnection(url, options);
    const conversations = new MongoConversationStore(models);
    const participants = new MongoParticipantStore(models);
    const pins = await MongoPinStore.open(connection);
    const reactions = await MongoReactionStore.open(connection).catch(async (error: unknown) => {
      await connection.close(true);
      throw error;
    });
    const store = composeStore({
      users: new MongoUserStore(models),
      conversations,
      participants,
      messages: new MongoMessageStore(
        models.messages,
        (...args) => conversations.reserveMessageSeq(...args),
        (conversationId) => participants.listParticipants(conversationId),
      ),
      cursors: new MongoSyncCursorStore(models),
      search: new MongoMessageSearchStore(models.messages),
      pins,
      blocks: new MongoBlockStore(models),
      reactions,
      ping: async () => {
        const db = connection.db;
        if (!db) throw new Error('MongoStore: not connected');
        await db.command({ ping: 1 });
      },
      close: () => connection.close(),
    });
    // Driver outages become the domain's UnavailableError: clients get a retryable 503.
    return translatingErrors(store, isTransientMongoError);
  },
};
