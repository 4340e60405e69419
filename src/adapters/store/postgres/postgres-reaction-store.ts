// How reactions are stored in PostgreSQL: table message_reactions (migration 1764710000000), one
// row per (message, user, emoji) keyed by the derived id; every operation is one statement.
import type { Pool } from 'pg';
import { reactionId } from '../../../domain/ids';
import type { Reaction } from '../../../domain/types';
import type { ReactionKey, ReactionStore } from '../../../ports';

const COLS =
  'id, message_id, conversation_id, message_seq, user_id, emoji, created_at, changed_at, removed_at';

export interface ReactionRow {
  id: string;
  message_id: string;
  conversation_id: string;
  /** bigint: pg hands it back as a string. */
  message_seq: string;
  user_id: string;
  emoji: string;
  created_at: Date;
  changed_at: Date;
  removed_at: Date | null;
}

export const reactionFromRow = (r: ReactionRow): Reaction => ({
  id: r.id,
  messageId: r.message_id,
  conversationId: r.conversation_id,
  messageSeq: Number(r.message_seq),
  userId: r.user_id,
  emoji: r.emoji,
  createdAt: r.created_at,
  changedAt: r.changed_at,
  removedAt: r.removed_at,
});

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /**
   * Inserts the reaction, or revives its tombstone; one in place is left alone (no row returned).
   * ON CONFLICT … WHERE re-checks `removed_at` on the locked row, so of concurrent adds one wins.
   */
  addReaction: `INSERT INTO message_reactions (${COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL)
    ON CONFLICT (id) DO UPDATE
    SET removed_at = NULL, created_at = EXCLUDED.created_at, changed_at = EXCLUDED.changed_at
    WHERE message_reactions.removed_at IS NOT NULL
    RETURNING 1`,
  removeReaction: `UPDATE message_reactions SET removed_at = $2, changed_at = $2
    WHERE id = $1 AND removed_at IS NULL`,
  listReactionsOfMessages: `SELECT ${COLS} FROM message_reactions
    WHERE message_id = ANY($1::text[]) AND removed_at IS NULL`,
  listReactionChangesSince: `SELECT ${COLS} FROM message_reactions
    WHERE conversation_id = ANY($1::text[]) AND changed_at > $2
    ORDER BY changed_at, id LIMIT $3`,
} as const;

const idOf = (key: ReactionKey): string => reactionId(key.messageId, key.userId, key.emoji);

export class PostgresReactionStore implements ReactionStore {
  constructor(private readonly pool: Pool) {}

  async addReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(SQL.addReaction, [
      idOf(key),
      key.messageId,
      key.conversationId,
      key.messageSeq,
      key.userId,
      key.emoji,
      at,
    ]);
    return rowCount === 1;
  }

  async removeReaction(key: ReactionKey, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(SQL.removeReaction, [idOf(key), at]);
    return rowCount === 1;
  }

  async listReactionsOfMessages(messageIds: readonly string[]): Promise<Reaction[]> {
    if (messageIds.length === 0) return [];
    const { rows } = await this.pool.query<ReactionRow>(SQL.listReactionsOfMessages, [
      [...new Set(messageIds)],
    ]);
    return rows.map(reactionFromRow);
  }

  async listReactionChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Reaction[]> {
    if (conversationIds.length === 0) return [];
    const { rows } = await this.pool.query<ReactionRow>(SQL.listReactionChangesSince, [
      [...conversationIds],
      since,
      limit,
    ]);
    return rows.map(reactionFromRow);
  }
}
