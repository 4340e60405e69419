// How participants are stored in MongoDB: one document per (conversation, user), _id derived from
// the pair; watermarks are flat fields so one conditional update compares and moves them.
import type { Types } from 'mongoose';
import { deriveObjectId } from '../../../domain/ids';
import type { Participant, ParticipantRole, Watermark } from '../../../domain/types';
import type { MuteSetting, ParticipantStore, WatermarkMove } from '../../../ports';
import { participantFromDoc, participantStateToDoc, toObjectId } from './mongo-mapping';
import type { MongoModels, ParticipantDoc } from './mongo-models';
import { insertOnce } from './mongo-queries';

const participantId = (conversationId: string, userId: string): Types.ObjectId =>
  toObjectId(deriveObjectId('participant', conversationId, userId));

export class MongoParticipantStore implements ParticipantStore {
  constructor(private readonly models: MongoModels) {}

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
    const [seqField, idField] =
      kind === 'seen' ? ['seen_seq', 'seen_message_id'] : ['delivered_seq', 'delivered_message_id'];
    // Compare-and-set in one update; the document as it was before gives the previous watermark.
    const before = await this.models.participants
      .findOneAndUpdate(
        {
          _id: participantId(conversationId, userId),
          // Only a current participant's receipts move: one who left confirms nothing more.
          left_at: null,
          $or: [{ [seqField]: null }, { [seqField]: { $lt: to.seq } }],
        },
        { $set: { [seqField]: to.seq, [idField]: toObjectId(to.messageId), receipts_at: at } },
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

  async listMembershipChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    const inConversations = { conversation_id: { $in: conversationIds.map(toObjectId) } };
    // Two indexed range scans (joins, departures) merged, rather than one unindexable $or sort.
    const [joined, left] = await Promise.all([
      this.models.participants
        .find({ ...inConversations, joined_at: { $gt: since } })
        .sort({ joined_at: 1 })
        .limit(limit)
        .lean<ParticipantDoc[]>(),
      this.models.participants
        .find({ ...inConversations, left_at: { $gt: since } })
        .sort({ left_at: 1 })
        .limit(limit)
        .lean<ParticipantDoc[]>(),
    ]);
    const changedAt = (d: ParticipantDoc): number =>
      Math.max(d.joined_at.getTime(), d.left_at?.getTime() ?? 0);
    const byId = new Map([...joined, ...left].map((d) => [d._id.toHexString(), d]));
    return [...byId.values()]
      .sort((a, b) => changedAt(a) - changedAt(b))
      .slice(0, limit)
      .map(participantFromDoc);
  }

  async listConversationsLeftSince(userId: string, since: Date): Promise<Participant[]> {
    const docs = await this.models.participants
      .find({ user_id: toObjectId(userId), left_at: { $gt: since } })
      .lean<ParticipantDoc[]>();
    return docs.map(participantFromDoc);
  }

  async setParticipantMute(
    conversationId: string,
    userId: string,
    mute: MuteSetting,
    at: Date,
  ): Promise<boolean> {
    const result = await this.models.participants.updateOne(
      { _id: participantId(conversationId, userId), left_at: null },
      {
        $set: {
          muted: mute.muted,
          muted_until: mute.muted ? mute.until : null,
          mute_changed_at: at,
        },
      },
    );
    return result.matchedCount === 1;
  }

  async listMuteChangesSince(userId: string, since: Date): Promise<Participant[]> {
    const docs = await this.models.participants
      .find({ user_id: toObjectId(userId), mute_changed_at: { $gt: since }, left_at: null })
      .sort({ mute_changed_at: 1, _id: 1 })
      .lean<ParticipantDoc[]>();
    return docs.map(participantFromDoc);
  }
}
