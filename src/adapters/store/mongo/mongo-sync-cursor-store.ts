// How SYNC cursors are stored in MongoDB: one small document each, expired by a TTL index.
import type { SyncCursorRecord, SyncCursorStore } from '../../../ports';
import { toObjectId } from './mongo-mapping';
import type { MongoModels, SyncCursorDoc } from './mongo-models';

export class MongoSyncCursorStore implements SyncCursorStore {
  constructor(private readonly models: MongoModels) {}

  async saveSyncCursor(cursor: SyncCursorRecord): Promise<void> {
    await this.models.syncCursors.insertMany(
      [
        {
          _id: toObjectId(cursor.id),
          user_id: toObjectId(cursor.userId),
          positions: cursor.positions,
          changes_since: cursor.changesSince,
          created_at: cursor.createdAt,
          expires_at: cursor.expiresAt,
        },
      ],
      { lean: true },
    );
  }

  async findSyncCursor(id: string, now: Date): Promise<SyncCursorRecord | null> {
    // The TTL monitor runs about once a minute, so expiry is also checked here.
    const doc = await this.models.syncCursors
      .findOne({ _id: toObjectId(id), expires_at: { $gt: now } })
      .lean<SyncCursorDoc>();
    if (!doc) return null;
    return {
      id: doc._id.toHexString(),
      userId: doc.user_id.toHexString(),
      positions: { ...doc.positions },
      changesSince: doc.changes_since,
      createdAt: doc.created_at,
      expiresAt: doc.expires_at,
    };
  }
}
