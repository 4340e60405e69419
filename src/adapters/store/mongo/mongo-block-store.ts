// How blocks are stored in MongoDB: one document per (blocker, blocked), _id derived from the
// pair; a block is mirrored onto the DIRECT's participant documents, which the send path reads.
import { blockId } from '../../../domain/ids';
import type { Block } from '../../../domain/types';
import type { BlockKey, BlockStore } from '../../../ports';
import { toObjectId } from './mongo-mapping';
import type { BlockDoc, MongoModels } from './mongo-models';
import { insertOnce, sortsBefore } from './mongo-queries';

const blockFromDoc = (d: BlockDoc): Block => ({
  id: d._id.toHexString(),
  blockerId: d.blocker_id.toHexString(),
  blockedId: d.blocked_id.toHexString(),
  blockedAt: d.blocked_at,
});

export class MongoBlockStore implements BlockStore {
  constructor(private readonly models: MongoModels) {}

  insertBlock(block: Block): Promise<boolean> {
    return insertOnce(() =>
      this.models.blocks.insertOne({
        _id: toObjectId(block.id),
        blocker_id: toObjectId(block.blockerId),
        blocked_id: toObjectId(block.blockedId),
        blocked_at: block.blockedAt,
      }),
    );
  }

  async deleteBlock(blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.models.blocks.deleteOne({
      _id: toObjectId(blockId(blockerId, blockedId)),
    });
    return result.deletedCount === 1;
  }

  async findBlock(blockerId: string, blockedId: string): Promise<Block | null> {
    const doc = await this.models.blocks
      .findById(toObjectId(blockId(blockerId, blockedId)))
      .lean<BlockDoc>();
    return doc ? blockFromDoc(doc) : null;
  }

  async listBlocksByBlocker(
    blockerId: string,
    before: BlockKey | null,
    limit: number,
  ): Promise<Block[]> {
    const docs = await this.models.blocks
      .find({
        blocker_id: toObjectId(blockerId),
        ...(before && sortsBefore('blocked_at', { at: before.blockedAt, id: before.id })),
      })
      .sort({ blocked_at: -1, _id: -1 })
      .limit(limit)
      .lean<BlockDoc[]>();
    return docs.map(blockFromDoc);
  }

  async listBlockerIds(blockedId: string, limit: number): Promise<string[]> {
    const docs = await this.models.blocks
      .find({ blocked_id: toObjectId(blockedId) }, { blocker_id: 1 })
      .limit(limit)
      .lean<Pick<BlockDoc, 'blocker_id'>[]>();
    return docs.map((d) => d.blocker_id.toHexString());
  }

  async setConversationBlocked(conversationId: string, blocked: boolean): Promise<void> {
    await this.models.participants.updateMany(
      { conversation_id: toObjectId(conversationId) },
      { $set: { blocked } },
    );
  }
}
