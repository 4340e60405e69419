// How PostgreSQL searches messages: the generated `content_search` tsvector (configuration
// `simple`) and its GIN index, matched with plainto_tsquery, so every term must be a word.
import type { Pool } from 'pg';
import type { OrderKey } from '../../../domain/ordering';
import type { Message } from '../../../domain/types';
import type { MessageSearchStore } from '../../../ports';
import { columns, MESSAGE_COLUMNS, messageFromRow, type MessageRow } from './postgres-mapping';

const COLS = columns(MESSAGE_COLUMNS);

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /** $1 conversations, $2 the terms joined by spaces, $3 limit. */
  searchMessages: `SELECT ${COLS} FROM messages
    WHERE content_search @@ plainto_tsquery('simple', $2)
      AND conversation_id = ANY ($1::text[]) AND deleted_at IS NULL
    ORDER BY created_at DESC, id DESC LIMIT $3`,
  /** The next page: $3, $4 the (created_at, id) of the last hit shown, $5 limit. */
  searchMessagesBefore: `SELECT ${COLS} FROM messages
    WHERE content_search @@ plainto_tsquery('simple', $2)
      AND conversation_id = ANY ($1::text[]) AND deleted_at IS NULL
      AND (created_at, id) < ($3::timestamptz, $4::text)
    ORDER BY created_at DESC, id DESC LIMIT $5`,
} as const;

export class PostgresMessageSearchStore implements MessageSearchStore {
  constructor(private readonly pool: Pool) {}

  async searchMessages(
    conversationIds: readonly string[],
    terms: readonly string[],
    before: OrderKey | null,
    limit: number,
  ): Promise<Message[]> {
    if (conversationIds.length === 0 || terms.length === 0) return [];
    const text = terms.join(' ');
    const { rows } =
      before === null
        ? await this.pool.query<MessageRow>(SQL.searchMessages, [conversationIds, text, limit])
        : await this.pool.query<MessageRow>(SQL.searchMessagesBefore, [
            conversationIds,
            text,
            before.createdAt,
            before.id,
            limit,
          ]);
    return rows.map(messageFromRow);
  }
}
