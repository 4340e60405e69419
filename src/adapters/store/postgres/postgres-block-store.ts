// How blocks are stored in PostgreSQL: one row per (blocker, blocked), keyed by an id derived from
// the pair; a block is mirrored onto the DIRECT's participant rows, which the send statement reads.
import type { Pool } from 'pg';
import { blockId } from '../../../domain/ids';
import type { Block } from '../../../domain/types';
import type { BlockKey, BlockStore } from '../../../ports';

const COLS = 'id, blocker_id, blocked_id, blocked_at';

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  insertBlock: `INSERT INTO blocks (${COLS}) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
  deleteBlock: `DELETE FROM blocks WHERE id = $1`,
  findBlock: `SELECT ${COLS} FROM blocks WHERE id = $1`,
  listBlocksNewest: `SELECT ${COLS} FROM blocks WHERE blocker_id = $1
    ORDER BY blocked_at DESC, id DESC LIMIT $2`,
  listBlocksBefore: `SELECT ${COLS} FROM blocks
    WHERE blocker_id = $1 AND (blocked_at, id) < ($2::timestamptz, $3::text)
    ORDER BY blocked_at DESC, id DESC LIMIT $4`,
  listBlockerIds: `SELECT blocker_id FROM blocks WHERE blocked_id = $1 LIMIT $2`,
  setConversationBlocked: `UPDATE participants SET blocked = $2
    WHERE conversation_id = $1 AND blocked IS DISTINCT FROM $2`,
} as const;

interface BlockRow {
  id: string;
  blocker_id: string;
  blocked_id: string;
  blocked_at: Date;
}

const blockFromRow = (r: BlockRow): Block => ({
  id: r.id,
  blockerId: r.blocker_id,
  blockedId: r.blocked_id,
  blockedAt: r.blocked_at,
});

export class PostgresBlockStore implements BlockStore {
  constructor(private readonly pool: Pool) {}

  async insertBlock(block: Block): Promise<boolean> {
    const result = await this.pool.query(SQL.insertBlock, [
      block.id,
      block.blockerId,
      block.blockedId,
      block.blockedAt,
    ]);
    return result.rowCount === 1;
  }

  async deleteBlock(blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.pool.query(SQL.deleteBlock, [blockId(blockerId, blockedId)]);
    return result.rowCount === 1;
  }

  async findBlock(blockerId: string, blockedId: string): Promise<Block | null> {
    const { rows } = await this.pool.query<BlockRow>(SQL.findBlock, [
      blockId(blockerId, blockedId),
    ]);
    const row = rows[0];
    return row ? blockFromRow(row) : null;
  }

  async listBlocksByBlocker(
    blockerId: string,
    before: BlockKey | null,
    limit: number,
  ): Promise<Block[]> {
    const { rows } = before
      ? await this.pool.query<BlockRow>(SQL.listBlocksBefore, [
          blockerId,
          before.blockedAt,
          before.id,
          limit,
        ])
      : await this.pool.query<BlockRow>(SQL.listBlocksNewest, [blockerId, limit]);
    return rows.map(blockFromRow);
  }

  async listBlockerIds(blockedId: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ blocker_id: string }>(SQL.listBlockerIds, [
      blockedId,
      limit,
    ]);
    return rows.map((r) => r.blocker_id);
  }

  async setConversationBlocked(conversationId: string, blocked: boolean): Promise<void> {
    await this.pool.query(SQL.setConversationBlocked, [conversationId, blocked]);
  }
}
