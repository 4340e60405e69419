// How conversations are stored in MongoDB: one document each, which also allocates message seqs.
import type { Conversation } from '../../../domain/types';
import type {
  EmittedMark,
  ActivityKey,
  ConversationStore,
  LastMessagePreview,
  SeqReservation,
} from '../../../ports';
import { conversationFromDoc, conversationToDoc, toObjectId } from './mongo-mapping';
import type { ConversationDoc, MongoModels, ParticipantDoc } from './mongo-models';
import { insertOnce, sortsBefore } from './mongo-queries';

export class MongoConversationStore implements ConversationStore {
  constructor(private readonly models: MongoModels) {}

  insertConversation(conversation: Conversation): Promise<boolean> {
    return insertOnce(() => this.models.conversations.insertOne(conversationToDoc(conversation)));
  }

  async findConversation(id: string): Promise<Conversation | null> {
    const doc = await this.models.conversations.findById(toObjectId(id)).lean<ConversationDoc>();
    return doc ? conversationFromDoc(doc) : null;
  }

  async reserveMessageSeq(
    conversationId: string,
    now: Date,
    preview: LastMessagePreview,
  ): Promise<SeqReservation | null> {
    // One single-document update serialises every sender of the conversation: $inc hands out the
    // seq and $max keeps createdAt non-decreasing in seq order even when node clocks disagree.
    const doc = await this.models.conversations
      .findOneAndUpdate(
        { _id: toObjectId(conversationId) },
        {
          $inc: { last_seq: 1 },
          $max: { last_message_at: now, updated_at: now },
          $set: {
            last_message_id: toObjectId(preview.messageId),
            last_message_content: preview.content,
          },
        },
        { returnDocument: 'after' },
      )
      .lean<ConversationDoc>();
    if (!doc?.last_message_at) return null;
    return { seq: doc.last_seq ?? 1, at: doc.last_message_at };
  }

  async recordEmittedSeqs(marks: readonly EmittedMark[]): Promise<void> {
    if (marks.length === 0) return;
    await this.models.conversations.bulkWrite(
      marks.map(({ conversationId, seq }) => ({
        updateOne: {
          filter: { _id: toObjectId(conversationId) },
          update: { $max: { emitted_seq: seq } },
        },
      })),
      { ordered: false },
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
}
