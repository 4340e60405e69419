// How users are stored in MongoDB: one document per user, _id derived from the lowercased name.
import type { User } from '../../../domain/types';
import type { UserStore } from '../../../ports';
import { toObjectId, userFromDoc, userToDoc } from './mongo-mapping';
import type { MongoModels, UserDoc } from './mongo-models';
import { insertOnce } from './mongo-queries';

export class MongoUserStore implements UserStore {
  constructor(private readonly models: MongoModels) {}

  insertUser(user: User): Promise<boolean> {
    return insertOnce(() => this.models.users.insertOne(userToDoc(user)));
  }

  async findUserById(id: string): Promise<User | null> {
    const doc = await this.models.users.findById(toObjectId(id)).lean<UserDoc>();
    return doc ? userFromDoc(doc) : null;
  }

  async findUsersByIds(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const docs = await this.models.users
      .find({ _id: { $in: ids.map(toObjectId) } })
      .lean<UserDoc[]>();
    return docs.map(userFromDoc);
  }

  async searchUsers(text: string, excludeUserId: string, limit: number): Promise<User[]> {
    // Escaped, so the text matches literally; the stored key is lowercase, so no 'i' flag is needed.
    const needle = text.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const docs = await this.models.users
      .find({ username_lower: { $regex: needle }, _id: { $ne: toObjectId(excludeUserId) } })
      .sort({ username: 1 })
      .limit(limit)
      .lean<UserDoc[]>();
    return docs.map(userFromDoc);
  }

  async setUserLastActive(id: string, at: Date): Promise<void> {
    await this.models.users.updateOne({ _id: toObjectId(id) }, { $set: { last_active_at: at } });
  }
}
