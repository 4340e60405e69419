// MongoStore: the Store port on MongoDB via mongoose — single-document atomic updates, no transactions.
import type { Connection, Types } from 'mongoose';
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
import { openMongoConnection, type MongoStoreOptions } from './mongo-connection';
import {
  conversationFromDoc,
  conversationToDoc,
  participantFromDoc,
  participantStateToDoc,
  toObjectId,
  userFromDoc,
  userToDoc,
} from './mongo-mapping';
import { MongoMessageStore } from './mongo-message-store';
import type { ConversationDoc, MongoModels, ParticipantDoc, UserDoc } from './mongo-models';
import { insertOnce, sortsBefore } from './mongo-queries';

export type { MongoStoreOptions } from './mongo-connection';

const participantId = (conversationId: string, userId: string): Types.ObjectId =>
  toObjectId(deriveObjectId('participant', conversationId, userId));

export class MongoStore implements Store {
  private readonly messageStore: MongoMessageStore;

  private constructor(
    private readonly connection: Connection,
    private readonly models: MongoModels,
  ) {
    this.messageStore = new MongoMessageStore(models.messages);
  }

  /** Opens a dedicated connection, fails fast when no server answers, and ensures the indexes. */
  static async connect(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const { connection, models } = await openMongoConnection(url, options);
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
        ...(beforeKey && sortsBefore('updated_at', { at: beforeKey.updatedAt, id: beforeKey.id })),
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
    at: Date,
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
        { $set: { [atField]: to.createdAt, [idField]: messageId, receipts_at: at } },
        { returnDocument: 'before' },
      )
      .lean<ParticipantDoc>();
    if (before) return { moved: true, previous: participantFromDoc(before)[kind] };
    const current = await this.models.participants
      .findById(participantId(conversationId, userId))
      .lean<ParticipantDoc>();
    return { moved: false, previous: current ? participantFromDoc(current)[kind] : null };
  }

  async listReceiptsChangedSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    const docs = await this.models.participants
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        receipts_at: { $gt: since },
      })
      .sort({ receipts_at: 1, _id: 1 })
      .limit(limit)
      .lean<ParticipantDoc[]>();
    return docs.map(participantFromDoc);
  }

  insertMessage(message: Message): Promise<boolean> {
    return this.messageStore.insertMessage(message);
  }

  findMessage(id: string): Promise<Message | null> {
    return this.messageStore.findMessage(id);
  }

  listMessagesBefore(
    conversationId: string,
    beforeKey: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    return this.messageStore.listMessagesBefore(conversationId, beforeKey, limit);
  }

  countMessagesAfter(
    conversationId: string,
    afterKey: OrderKey | null,
    excludeSenderId: string,
  ): Promise<number> {
    return this.messageStore.countMessagesAfter(conversationId, afterKey, excludeSenderId);
  }

  updateMessage(id: string, patch: Parameters<Store['updateMessage']>[1]): Promise<Message | null> {
    return this.messageStore.updateMessage(id, patch);
  }

  listMessagesChangedSince(
    conversationIds: readonly string[],
    afterKey: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    return this.messageStore.listMessagesChangedSince(conversationIds, afterKey, limit);
  }

  listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    return this.messageStore.listPendingMessageEvents(createdBefore, limit);
  }

  claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean> {
    return this.messageStore.claimPendingMessageEvent(messageId, now, until);
  }

  clearPendingMessageEvent(messageId: string): Promise<void> {
    return this.messageStore.clearPendingMessageEvent(messageId);
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
