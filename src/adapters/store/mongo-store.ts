// MongoStore: the Store port on MongoDB via mongoose — single-document atomic updates, no transactions.
import mongoose, { type Connection, type Types } from 'mongoose';
import { deriveObjectId } from '../../domain/ids';
import type { OrderKey } from '../../domain/ordering';
import type {
  Conversation,
  Message,
  Participant,
  ParticipantRole,
  User,
  Watermark,
} from '../../domain/types';
import type { ActivityKey, LastMessage, Store, WatermarkMove } from '../../ports';
import {
  conversationFromDoc,
  conversationToDoc,
  createModels,
  mediaToDoc,
  messageFromDoc,
  messageToDoc,
  participantFromDoc,
  participantStateToDoc,
  toObjectId,
  userFromDoc,
  userToDoc,
  type ConversationDoc,
  type MessageDoc,
  type MongoModels,
  type ParticipantDoc,
  type UserDoc,
} from './mongo-models';

export interface MongoStoreOptions {
  /**
   * How long to wait for a reachable server before an operation (and `connect`) fails.
   * @default 5000
   */
  serverSelectionTimeoutMS?: number;
}

const DUPLICATE_KEY = 11000;

const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === DUPLICATE_KEY;

/** Runs an insert; a collision on _id is an answer (false), anything else is a failure. */
async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Credentials never reach error messages or logs. */
const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

const participantId = (conversationId: string, userId: string): Types.ObjectId =>
  toObjectId(deriveObjectId('participant', conversationId, userId));

/** Strictly before (at, id) in (at, _id) order; `at` is the stored date field. */
const before = (field: string, key: { at: Date; id: string }) => ({
  $or: [{ [field]: { $lt: key.at } }, { [field]: key.at, _id: { $lt: toObjectId(key.id) } }],
});

/** Strictly after (at, id) in (at, _id) order. */
const after = (field: string, key: { at: Date; id: string }) => ({
  $or: [{ [field]: { $gt: key.at } }, { [field]: key.at, _id: { $gt: toObjectId(key.id) } }],
});

export class MongoStore implements Store {
  private constructor(
    private readonly connection: Connection,
    private readonly models: MongoModels,
  ) {}

  /** Opens a dedicated connection, fails fast when no server answers, and ensures the indexes. */
  static async connect(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const connection = mongoose.createConnection(url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
      autoIndex: false,
      autoCreate: false,
      // The store exists only once connected; during an outage an operation should fail after the
      // server-selection timeout rather than sit in mongoose's own buffer.
      bufferCommands: false,
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
    const models = createModels(connection);
    try {
      // Explicit and awaited (not autoIndex in the background) so an index problem fails startup.
      await Promise.all([
        models.users.createIndexes(),
        models.conversations.createIndexes(),
        models.participants.createIndexes(),
        models.messages.createIndexes(),
      ]);
    } catch (error) {
      await connection.close(true);
      throw error;
    }
    return new MongoStore(connection, models);
  }

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

  insertConversation(conversation: Conversation): Promise<boolean> {
    return insertOnce(() => this.models.conversations.insertOne(conversationToDoc(conversation)));
  }

  async findConversation(id: string): Promise<Conversation | null> {
    const doc = await this.models.conversations.findById(toObjectId(id)).lean<ConversationDoc>();
    return doc ? conversationFromDoc(doc) : null;
  }

  async recordLastMessage(conversationId: string, last: LastMessage): Promise<void> {
    // One conditional update: an older message arriving late can never overwrite a newer preview.
    await this.models.conversations.updateOne(
      {
        _id: toObjectId(conversationId),
        $or: [{ last_message_at: null }, { last_message_at: { $lte: last.at } }],
      },
      {
        $set: {
          last_message_id: toObjectId(last.messageId),
          last_message_content: last.content,
          last_message_at: last.at,
        },
        $max: { updated_at: last.at },
      },
    );
  }

  async replaceLastMessagePreview(
    conversationId: string,
    messageId: string,
    content: string | null,
  ): Promise<void> {
    await this.models.conversations.updateOne(
      { _id: toObjectId(conversationId), last_message_id: toObjectId(messageId) },
      { $set: { last_message_content: content } },
    );
  }

  async listConversationsOfUser(
    userId: string,
    beforeKey: ActivityKey | null,
    limit: number,
  ): Promise<Conversation[]> {
    const memberships = await this.models.participants
      .find({ user_id: toObjectId(userId), left_at: null }, { conversation_id: 1 })
      .lean<Pick<ParticipantDoc, '_id' | 'conversation_id'>[]>();
    if (memberships.length === 0) return [];
    const docs = await this.models.conversations
      .find({
        _id: { $in: memberships.map((m) => m.conversation_id) },
        ...(beforeKey && before('updated_at', { at: beforeKey.updatedAt, id: beforeKey.id })),
      })
      .sort({ updated_at: -1, _id: -1 })
      .limit(limit)
      .lean<ConversationDoc[]>();
    return docs.map(conversationFromDoc);
  }

  async upsertParticipant(participant: Participant): Promise<boolean> {
    const _id = participantId(participant.conversationId, participant.userId);
    const state = participantStateToDoc(participant);
    // 1. Re-join: only a record that has left matches, so a current participant is never touched.
    const rejoined = await this.models.participants.updateOne(
      { _id, left_at: { $ne: null } },
      { $set: state },
    );
    if (rejoined.matchedCount === 1) return true;
    // 2. First join. A collision means the record exists and was current when step 1 ran, or was
    //    created by a concurrent caller (who reported true); either way this call changed nothing.
    return insertOnce(() =>
      this.models.participants.insertOne({
        _id,
        conversation_id: toObjectId(participant.conversationId),
        user_id: toObjectId(participant.userId),
        ...state,
      }),
    );
  }

  async findParticipant(conversationId: string, userId: string): Promise<Participant | null> {
    const doc = await this.models.participants
      .findById(participantId(conversationId, userId))
      .lean<ParticipantDoc>();
    return doc ? participantFromDoc(doc) : null;
  }

  async listParticipants(conversationId: string): Promise<Participant[]> {
    const docs = await this.models.participants
      .find({ conversation_id: toObjectId(conversationId) })
      .sort({ joined_at: 1, user_id: 1 })
      .lean<ParticipantDoc[]>();
    return docs.map(participantFromDoc);
  }

  async markParticipantLeft(conversationId: string, userId: string, at: Date): Promise<boolean> {
    const result = await this.models.participants.updateOne(
      { _id: participantId(conversationId, userId), left_at: null },
      { $set: { left_at: at } },
    );
    return result.matchedCount === 1;
  }

  async setParticipantRole(
    conversationId: string,
    userId: string,
    role: ParticipantRole,
  ): Promise<void> {
    await this.models.participants.updateOne(
      { _id: participantId(conversationId, userId) },
      { $set: { role } },
    );
  }

  async advanceWatermark(
    conversationId: string,
    userId: string,
    kind: 'seen' | 'delivered',
    to: Watermark,
  ): Promise<WatermarkMove> {
    const [atField, idField] =
      kind === 'seen' ? ['seen_at', 'seen_message_id'] : ['delivered_at', 'delivered_message_id'];
    const messageId = toObjectId(to.messageId);
    // Compare-and-set in one update: ObjectIds order like their hex, so this is (createdAt, id) order.
    // The document as it was before the update gives the previous watermark in the same step.
    const before = await this.models.participants
      .findOneAndUpdate(
        {
          _id: participantId(conversationId, userId),
          $or: [
            { [atField]: null },
            { [atField]: { $lt: to.createdAt } },
            { [atField]: to.createdAt, [idField]: { $lt: messageId } },
          ],
        },
        { $set: { [atField]: to.createdAt, [idField]: messageId } },
        { returnDocument: 'before' },
      )
      .lean<ParticipantDoc>();
    if (before) return { moved: true, previous: participantFromDoc(before)[kind] };
    const current = await this.models.participants
      .findById(participantId(conversationId, userId))
      .lean<ParticipantDoc>();
    return { moved: false, previous: current ? participantFromDoc(current)[kind] : null };
  }

  insertMessage(message: Message): Promise<boolean> {
    return insertOnce(() => this.models.messages.insertOne(messageToDoc(message)));
  }

  async findMessage(id: string): Promise<Message | null> {
    const doc = await this.models.messages.findById(toObjectId(id)).lean<MessageDoc>();
    return doc ? messageFromDoc(doc) : null;
  }

  async listMessagesBefore(
    conversationId: string,
    beforeKey: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    const docs = await this.models.messages
      .find({
        conversation_id: toObjectId(conversationId),
        ...(beforeKey && before('created_at', { at: beforeKey.createdAt, id: beforeKey.id })),
      })
      .sort({ created_at: -1, _id: -1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  countMessagesAfter(
    conversationId: string,
    afterKey: OrderKey | null,
    excludeSenderId: string,
  ): Promise<number> {
    return this.models.messages.countDocuments({
      conversation_id: toObjectId(conversationId),
      sender_id: { $ne: toObjectId(excludeSenderId) },
      deleted_at: null,
      ...(afterKey && after('created_at', { at: afterKey.createdAt, id: afterKey.id })),
    });
  }

  async updateMessage(
    id: string,
    patch: {
      content?: string | null;
      media?: Message['media'];
      updatedAt?: Date;
      deletedAt?: Date;
      changedAt: Date;
    },
  ): Promise<Message | null> {
    const doc = await this.models.messages
      .findOneAndUpdate(
        { _id: toObjectId(id) },
        {
          $set: {
            ...(patch.content !== undefined && { content: patch.content }),
            ...(patch.media !== undefined && { media: mediaToDoc(patch.media) }),
            ...(patch.updatedAt !== undefined && { updated_at: patch.updatedAt }),
            ...(patch.deletedAt !== undefined && { deleted_at: patch.deletedAt }),
            changed_at: patch.changedAt,
          },
        },
        { returnDocument: 'after' },
      )
      .lean<MessageDoc>();
    return doc ? messageFromDoc(doc) : null;
  }

  async listMessagesChangedSince(
    conversationIds: readonly string[],
    afterKey: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    if (conversationIds.length === 0) return [];
    const docs = await this.models.messages
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        ...(afterKey && after('changed_at', { at: afterKey.createdAt, id: afterKey.id })),
      })
      .sort({ changed_at: 1, _id: 1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  async listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    const docs = await this.models.messages
      .find({ event_pending: true, created_at: { $lt: createdBefore } })
      .sort({ created_at: 1, _id: 1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  async clearPendingMessageEvent(messageId: string): Promise<void> {
    // Unset rather than false, so the message also leaves the partial index.
    await this.models.messages.updateOne(
      { _id: toObjectId(messageId) },
      { $unset: { event_pending: 1 } },
    );
  }

  async ping(): Promise<void> {
    const db = this.connection.db;
    if (!db) throw new Error('MongoStore: not connected');
    await db.command({ ping: 1 });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
