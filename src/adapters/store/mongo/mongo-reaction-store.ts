// How reactions are stored in MongoDB: collection `message_reactions`, one document per
// (message, user, emoji) with its _id derived from that key; removal leaves a tombstone
// (`removed_at`) that SYNC reads. Every operation is one single-document command.
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { reactionId } from '../../../domain/ids';
import type { Reaction } from '../../../domain/types';
import type { ReactionKey, ReactionStore } from '../../../ports';
import { toObjectId } from './mongo-mapping';
import { insertOnce } from './mongo-queries';

export interface ReactionDoc {
  _id: Types.ObjectId;
  message_id: Types.ObjectId;
  conversation_id: Types.ObjectId;
  message_seq: number;
  user_id: Types.ObjectId;
  emoji: string;
  created_at: Date;
  changed_at: Date;
  removed_at: Date | null;
}

const OBJECT_ID = Schema.Types.ObjectId;

const reactionSchema = new Schema<ReactionDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    message_id: { type: OBJECT_ID, required: true },
    conversation_id: { type: OBJECT_ID, required: true },
    message_seq: { type: Number, required: true },
    user_id: { type: OBJECT_ID, required: true },
    emoji: { type: String, required: true },
    created_at: { type: Date, required: true },
    changed_at: { type: Date, required: true },
    removed_at: { type: Date, default: null },
  },
  { versionKey: false, autoIndex: false, autoCreate: false },
);
// listReactionsOfMessages: the reactions of a page of messages.
reactionSchema.index({ message_id: 1, removed_at: 1 });
// listReactionChangesSince (SYNC): changes in the user's conversations after a time.
reactionSchema.index({ conversation_id: 1, changed_at: 1, _id: 1 });

const reactionFromDoc = (d: ReactionDoc): Reaction => ({
  id: d._id.toHexString(),
  messageId: d.message_id.toHexString(),
  conversationId: d.conversation_id.toHexString(),
  messageSeq: d.message_seq,
  userId: d.user_id.toHexString(),
  emoji: d.emoji,
  createdAt: d.created_at,
  changedAt: d.changed_at,
  removedAt: d.removed_at ?? null,
});

const idOf = (key: ReactionKey): Types.ObjectId =>
  toObjectId(reactionId(key.messageId, key.userId, key.emoji));

export class MongoReactionStore implements ReactionStore {
  private constructor(private readonly reactions: Model<ReactionDoc>) {}

  /** Binds the model to the store's connection and ensures its indexes (awaited, as the others). */
  static async open(connection: Connection): Promise<MongoReactionStore> {
    const model = connection.model<ReactionDoc>('Reaction', reactionSchema, 'message_reactions');
    await model.createIndexes();
    return new MongoReactionStore(model);
  }

  async addReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const _id = idOf(key);
    // 1. Revive a tombstone: only a removed record matches, so one in place is never touched.
    const revived = await this.reactions.updateOne(
      { _id, removed_at: { $ne: null } },
      { $set: { removed_at: null, created_at: at, changed_at: at } },
    );
    if (revived.matchedCount === 1) return true;
    // 2. First reaction. A collision: it is in place (or a concurrent caller just added it).
    return insertOnce(() =>
      this.reactions.insertOne({
        _id,
        message_id: toObjectId(key.messageId),
        conversation_id: toObjectId(key.conversationId),
        message_seq: key.messageSeq,
        user_id: toObjectId(key.userId),
        emoji: key.emoji,
        created_at: at,
        changed_at: at,
        removed_at: null,
      }),
    );
  }

  async removeReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const result = await this.reactions.updateOne(
      { _id: idOf(key), removed_at: null },
      { $set: { removed_at: at, changed_at: at } },
    );
    return result.matchedCount === 1;
  }

  async listReactionsOfMessages(messageIds: readonly string[]): Promise<Reaction[]> {
    if (messageIds.length === 0) return [];
    const docs = await this.reactions
      .find({ message_id: { $in: [...new Set(messageIds)].map(toObjectId) }, removed_at: null })
      .lean<ReactionDoc[]>();
    return docs.map(reactionFromDoc);
  }

  async listReactionChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Reaction[]> {
    if (conversationIds.length === 0) return [];
    const docs = await this.reactions
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        changed_at: { $gt: since },
      })
      .sort({ changed_at: 1, _id: 1 })
      .limit(limit)
      .lean<ReactionDoc[]>();
    return docs.map(reactionFromDoc);
  }
}
