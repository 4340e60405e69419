// MongoMessageStore: the Store port's message operations on the messages collection; MongoStore delegates to it.
import type { Model } from 'mongoose';
import type { OrderKey } from '../../domain/ordering';
import type { Message } from '../../domain/types';
import type { MessagePatch, Store } from '../../ports';
import { mediaToDoc, messageFromDoc, messageToDoc, toObjectId } from './mongo-mapping';
import type { MessageDoc } from './mongo-models';
import { insertOnce, sortsAfter, sortsBefore } from './mongo-queries';

/** The message half of the Store port, split out so each file stays one readable size. */
type MessageOperations = Pick<
  Store,
  | 'insertMessage'
  | 'findMessage'
  | 'listMessagesBefore'
  | 'countMessagesAfter'
  | 'updateMessage'
  | 'listMessagesChangedSince'
  | 'listPendingMessageEvents'
  | 'claimPendingMessageEvent'
  | 'clearPendingMessageEvent'
>;

export class MongoMessageStore implements MessageOperations {
  constructor(private readonly messages: Model<MessageDoc>) {}

  insertMessage(message: Message): Promise<boolean> {
    return insertOnce(() => this.messages.insertOne(messageToDoc(message)));
  }

  async findMessage(id: string): Promise<Message | null> {
    const doc = await this.messages.findById(toObjectId(id)).lean<MessageDoc>();
    return doc ? messageFromDoc(doc) : null;
  }

  async listMessagesBefore(
    conversationId: string,
    beforeKey: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    const docs = await this.messages
      .find({
        conversation_id: toObjectId(conversationId),
        ...(beforeKey && sortsBefore('created_at', { at: beforeKey.createdAt, id: beforeKey.id })),
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
    return this.messages.countDocuments({
      conversation_id: toObjectId(conversationId),
      sender_id: { $ne: toObjectId(excludeSenderId) },
      deleted_at: null,
      ...(afterKey && sortsAfter('created_at', { at: afterKey.createdAt, id: afterKey.id })),
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
    const docs = await this.messages
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        ...(afterKey && sortsAfter('changed_at', { at: afterKey.createdAt, id: afterKey.id })),
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
    );
    return result.modifiedCount === 1;
  }

  async clearPendingMessageEvent(messageId: string): Promise<void> {
    // Unset rather than false, so the message also leaves the partial index.
    await this.messages.updateOne({ _id: toObjectId(messageId) }, { $unset: { event_pending: 1 } });
  }
}
