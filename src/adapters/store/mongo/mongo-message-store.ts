// How messages are stored in MongoDB: one document per message, found by (conversation_id, seq);
// the document also carries its pending `message.sent` event (the outbox).
import type { Model } from 'mongoose';
import type { OrderKey } from '../../../domain/ordering';
import type { Message, Participant } from '../../../domain/types';
import type {
  AppendResult,
  ConversationStore,
  MessageDraft,
  MessagePatch,
  MessageStore,
} from '../../../ports';
import { appendByReservation } from '../append-by-reservation';
import { BACKGROUND_COMMENT } from '../store-commands';
import { mediaToDoc, messageFromDoc, messageToDoc, toObjectId } from './mongo-mapping';
import type { MessageDoc } from './mongo-models';
import { insertOnce, sortsAfter } from './mongo-queries';

export class MongoMessageStore implements MessageStore {
  constructor(
    private readonly messages: Model<MessageDoc>,
    private readonly reserve: ConversationStore['reserveMessageSeq'],
    private readonly listParticipants: (conversationId: string) => Promise<Participant[]>,
  ) {}

  /** Two single-document writes (no transactions): a duplicate or a crash between them is a hole. */
  appendMessage(
    draft: MessageDraft,
    now: Date,
    previewContent: string | null,
  ): Promise<AppendResult> {
    return appendByReservation(
      {
        listParticipants: this.listParticipants,
        exists: async (id) => (await this.messages.exists({ _id: toObjectId(id) })) !== null,
        reserve: this.reserve,
        insert: (m) => this.insertMessage(m),
      },
      draft,
      now,
      previewContent,
    );
  }

  insertMessage(message: Message): Promise<boolean> {
    return insertOnce(() => this.messages.insertOne(messageToDoc(message)));
  }

  async findMessage(id: string): Promise<Message | null> {
    const doc = await this.messages.findById(toObjectId(id)).lean<MessageDoc>();
    return doc ? messageFromDoc(doc) : null;
  }

  async listMessagesBefore(
    conversationId: string,
    beforeSeq: number | null,
    limit: number,
  ): Promise<Message[]> {
    const docs = await this.messages
      .find({
        conversation_id: toObjectId(conversationId),
        ...(beforeSeq !== null && { seq: { $lt: beforeSeq } }),
      })
      .sort({ seq: -1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  async listMessagesAfter(
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<Message[]> {
    // MongoDB reads limit(0) as no limit at all.
    if (limit <= 0) return [];
    const docs = await this.messages
      .find({ conversation_id: toObjectId(conversationId), seq: { $gt: afterSeq } })
      .sort({ seq: 1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
  ): Promise<number> {
    return this.messages.countDocuments({
      conversation_id: toObjectId(conversationId),
      seq: { $gt: afterSeq },
      sender_id: { $ne: toObjectId(excludeSenderId) },
      deleted_at: null,
    });
  }

  countMentionsAfter(conversationId: string, afterSeq: number, userId: string): Promise<number> {
    const user = toObjectId(userId);
    return this.messages.countDocuments({
      conversation_id: toObjectId(conversationId),
      mentions: user,
      seq: { $gt: afterSeq },
      sender_id: { $ne: user },
      deleted_at: null,
    });
  }

  async updateMessage(id: string, patch: MessagePatch): Promise<Message | null> {
    const doc = await this.messages
      .findOneAndUpdate(
        { _id: toObjectId(id) },
        {
          $set: {
            ...(patch.content !== undefined && { content: patch.content }),
            ...(patch.media !== undefined && { media: mediaToDoc(patch.media) }),
            ...(patch.type !== undefined && { type: patch.type }),
            ...(patch.updatedAt !== undefined && { updated_at: patch.updatedAt }),
            ...(patch.deletedAt !== undefined && { deleted_at: patch.deletedAt }),
            ...(patch.mentions !== undefined && { mentions: patch.mentions.map(toObjectId) }),
            changed_at: patch.changedAt,
          },
        },
        { returnDocument: 'after' },
      )
      .lean<MessageDoc>();
    return doc ? messageFromDoc(doc) : null;
  }

  async listMessageEditsSince(
    conversationIds: readonly string[],
    afterKey: OrderKey,
    limit: number,
  ): Promise<Message[]> {
    if (conversationIds.length === 0) return [];
    const docs = await this.messages
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        $and: [
          sortsAfter('changed_at', { at: afterKey.createdAt, id: afterKey.id }),
          { $or: [{ updated_at: { $ne: null } }, { deleted_at: { $ne: null } }] },
        ],
      })
      .sort({ changed_at: 1, _id: 1 })
      .limit(limit)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  async listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    const docs = await this.messages
      .find({ event_pending: true, created_at: { $lt: createdBefore } })
      .sort({ created_at: 1, _id: 1 })
      .limit(limit)
      .comment(BACKGROUND_COMMENT)
      .lean<MessageDoc[]>();
    return docs.map(messageFromDoc);
  }

  async claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.messages.updateOne(
      {
        _id: toObjectId(messageId),
        event_pending: true,
        $or: [{ event_claimed_until: null }, { event_claimed_until: { $lte: now } }],
      },
      { $set: { event_claimed_until: until } },
      { comment: BACKGROUND_COMMENT },
    );
    return result.modifiedCount === 1;
  }

  async clearPendingMessageEvents(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    // Unset rather than false, so the message also leaves the partial index.
    await this.messages.updateMany(
      { _id: { $in: messageIds.map(toObjectId) } },
      { $unset: { event_pending: 1 } },
    );
  }

  async countPendingMessageEvents(): Promise<number> {
    // Served by the same partial index as listPendingMessageEvents.
    return this.messages.countDocuments({ event_pending: true }, { comment: BACKGROUND_COMMENT });
  }
}
