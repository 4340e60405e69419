// MongoStore's pins: collection `message_pins`, one document per (conversation, message) with an
// _id derived from that key; unpinning keeps it as a tombstone. Every write is one document.
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { pinId, type Pin } from '../../../domain/pins';
import type { PinStore } from '../../../ports';
import { toObjectId } from './mongo-mapping';
import { insertOnce } from './mongo-queries';

export interface PinDoc {
  _id: Types.ObjectId;
  conversation_id: Types.ObjectId;
  message_id: Types.ObjectId;
  pinned_by: Types.ObjectId;
  pinned_at: Date;
  unpinned_at: Date | null;
  unpinned_by: Types.ObjectId | null;
  changed_at: Date;
}

const OBJECT_ID = Schema.Types.ObjectId;
const pinSchema = new Schema<PinDoc>(
  {
    _id: { type: OBJECT_ID, required: true },
    conversation_id: { type: OBJECT_ID, required: true },
    message_id: { type: OBJECT_ID, required: true },
    pinned_by: { type: OBJECT_ID, required: true },
    pinned_at: { type: Date, required: true },
    unpinned_at: { type: Date, default: null },
    unpinned_by: { type: OBJECT_ID, default: null },
    changed_at: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false, autoCreate: false },
);
// listPins: a conversation's pinned records, newest pin first.
pinSchema.index({ conversation_id: 1, unpinned_at: 1, pinned_at: -1, _id: -1 });
// listPinChangesSince (SYNC): these conversations' pin changes after a time.
pinSchema.index({ conversation_id: 1, changed_at: 1, _id: 1 });

const pinFromDoc = (d: PinDoc): Pin => ({
  id: d._id.toHexString(),
  conversationId: d.conversation_id.toHexString(),
  messageId: d.message_id.toHexString(),
  pinnedBy: d.pinned_by.toHexString(),
  pinnedAt: d.pinned_at,
  unpinnedAt: d.unpinned_at ?? null,
  unpinnedBy: d.unpinned_by?.toHexString() ?? null,
  changedAt: d.changed_at,
});

export class MongoPinStore implements PinStore {
  private constructor(private readonly pins: Model<PinDoc>) {}

  /** Binds the model to the store's connection and ensures its indexes (awaited, as the others). */
  static async open(connection: Connection): Promise<MongoPinStore> {
    const model = connection.model<PinDoc>('Pin', pinSchema, 'message_pins');
    await model.createIndexes();
    return new MongoPinStore(model);
  }

  async pinMessage(pin: Pin): Promise<boolean> {
    const fields = {
      pinned_by: toObjectId(pin.pinnedBy),
      pinned_at: pin.pinnedAt,
      unpinned_at: null,
      unpinned_by: null,
      changed_at: pin.changedAt,
    };
    const inserted = await insertOnce(() =>
      this.pins.collection.insertOne({
        _id: toObjectId(pin.id),
        conversation_id: toObjectId(pin.conversationId),
        message_id: toObjectId(pin.messageId),
        ...fields,
      }),
    );
    if (inserted) return true;
    // The record exists: only a tombstone is pinned again (a pinned one keeps its first pin).
    const result = await this.pins.updateOne(
      { _id: toObjectId(pin.id), unpinned_at: { $ne: null } },
      { $set: fields },
    );
    return result.modifiedCount === 1;
  }

  async unpinMessage(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<boolean> {
    const result = await this.pins.updateOne(
      { _id: toObjectId(pinId(conversationId, messageId)), unpinned_at: null },
      { $set: { unpinned_at: at, unpinned_by: toObjectId(userId), changed_at: at } },
    );
    return result.modifiedCount === 1;
  }

  async findPin(conversationId: string, messageId: string): Promise<Pin | null> {
    const doc = await this.pins
      .findOne({ _id: toObjectId(pinId(conversationId, messageId)) })
      .lean<PinDoc>();
    return doc ? pinFromDoc(doc) : null;
  }

  async listPins(conversationId: string, limit: number): Promise<Pin[]> {
    const docs = await this.pins
      .find({ conversation_id: toObjectId(conversationId), unpinned_at: null })
      .sort({ pinned_at: -1, _id: -1 })
      .limit(limit)
      .lean<PinDoc[]>();
    return docs.map(pinFromDoc);
  }

  async listPinChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Pin[]> {
    if (conversationIds.length === 0) return [];
    const docs = await this.pins
      .find({
        conversation_id: { $in: conversationIds.map(toObjectId) },
        changed_at: { $gt: since },
      })
      .sort({ changed_at: 1, _id: 1 })
      .limit(limit)
      .lean<PinDoc[]>();
    return docs.map(pinFromDoc);
  }
}
