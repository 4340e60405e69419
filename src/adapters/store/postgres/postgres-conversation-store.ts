// How conversations are stored in PostgreSQL: one row each, which also allocates message seqs
// (last_seq, incremented under the row lock of a single UPDATE). The first page of a user's
// conversations is read for many users at once when many ask together (every connection's
// greeting and every SYNC asks for it: in a reconnect storm, a quarter of all statements), and
// so are single conversations.
import type { Pool } from 'pg';
import { Batcher } from '../../../app/batcher';
import type { Conversation } from '../../../domain/types';
import type {
  EmittedMark,
  ActivityKey,
  ConversationStore,
  LastMessagePreview,
  SeqReservation,
} from '../../../ports';
import {
  columns,
  CONVERSATION_COLUMNS,
  conversationFromRow,
  conversationParams,
  ownCopy,
  placeholders,
  type ConversationRow,
} from './postgres-mapping';

const COLS = columns(CONVERSATION_COLUMNS);

/**
 * The SET list of a seq reservation, shared with appendMessage. `$now` is the sender's clock,
 * `$messageId`/`$content` the preview. Every right-hand side reads the row as it was before the
 * update, so `at = max($now, previous last_message_at)` keeps createdAt non-decreasing in seq
 * order even when node clocks disagree; activity (updated_at) moves to `at`, never back.
 */
export const reserveSeqSet = (now: string, messageId: string, content: string): string =>
  `last_seq = last_seq + 1,
      last_message_id = ${messageId},
      last_message_content = ${content},
      last_message_at = GREATEST(${now}::timestamptz, last_message_at),
      updated_at = GREATEST(updated_at, ${now}::timestamptz, last_message_at)`;

const LIST_OF_USER = `SELECT ${columns(CONVERSATION_COLUMNS, 'c')}
    FROM participants p JOIN conversations c ON c.id = p.conversation_id
    WHERE p.user_id = $1 AND p.left_at IS NULL`;

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  insertConversation: `INSERT INTO conversations (${COLS}) VALUES (${placeholders(CONVERSATION_COLUMNS.length)})
    ON CONFLICT DO NOTHING`,
  /** Several conversations by id ($1, each once): a batch of one-conversation reads. */
  findConversations: `SELECT ${COLS} FROM conversations WHERE id = ANY ($1::text[])`,
  reserveMessageSeq: `UPDATE conversations SET ${reserveSeqSet('$2', '$3', '$4')}
    WHERE id = $1
    RETURNING last_seq, last_message_at`,
  /**
   * $1 conversation ids, $2 their seqs (one conversation may come twice: the highest wins). The
   * rows are locked in id order first, as the batched append locks them: updated in whatever
   * order the join produced, this and an append over the same conversations deadlocked (each
   * costing a second of deadlock_timeout and a failed statement).
   */
  recordEmittedSeqs: `WITH v AS (
      SELECT id, max(seq) AS seq FROM unnest($1::text[], $2::bigint[]) AS m (id, seq)
      GROUP BY id
    ), locked AS (
      SELECT c.id FROM conversations c JOIN v ON v.id = c.id
      WHERE c.emitted_seq < v.seq
      ORDER BY c.id FOR UPDATE OF c
    )
    UPDATE conversations c SET emitted_seq = v.seq
    FROM v JOIN locked ON locked.id = v.id
    WHERE c.id = v.id AND c.emitted_seq < v.seq`,
  replaceLastMessagePreview: `UPDATE conversations SET last_message_content = $3
    WHERE id = $1 AND last_message_id = $2`,
  /**
   * The first page of each of several users ($1, each once), up to $2 each: rows tagged with
   * their user, each user's in the page's order.
   */
  listConversationsOfUsers: `SELECT w.user_id AS of_user, x.*
    FROM unnest($1::text[]) WITH ORDINALITY AS w (user_id, ord)
    CROSS JOIN LATERAL (
      SELECT ${columns(CONVERSATION_COLUMNS, 'c')}
      FROM participants p JOIN conversations c ON c.id = p.conversation_id
      WHERE p.user_id = w.user_id AND p.left_at IS NULL
      ORDER BY c.updated_at DESC, c.id DESC LIMIT $2
    ) x
    ORDER BY w.ord, x.updated_at DESC, x.id DESC`,
  /** A later page: strictly after the key ($2, $3) in (updated_at, id) descending order. */
  listConversationsOfUserBefore: `${LIST_OF_USER}
      AND (c.updated_at, c.id) < ($2::timestamptz, $3::text)
    ORDER BY c.updated_at DESC, c.id DESC LIMIT $4`,
} as const;

interface ReservationRow {
  last_seq: string;
  last_message_at: Date;
}

interface FirstPage {
  userId: string;
  limit: number;
}

export class PostgresConversationStore implements ConversationStore {
  /** One-conversation reads asked for together (the fan-out's first event of each, access checks). */
  private readonly reads = new Batcher<string, Conversation | null>(async (ids) => {
    const { rows } = await this.pool.query<ConversationRow>(SQL.findConversations, [
      [...new Set(ids)],
    ]);
    const byId = new Map(rows.map((r) => [r.id, r] as const));
    // Each caller gets a record of its own, as from a read of its own.
    const handed = new Set<ConversationRow>();
    return ids.map((id) => {
      const row = byId.get(id);
      return row ? conversationFromRow(ownCopy(row, handed)) : null;
    });
  });

  private readonly firstPages = new Batcher<FirstPage, Conversation[]>(async (asks) => {
    // One statement per page size asked for (callers ask for one of a few).
    const pages = new Map<string, Conversation[]>();
    const key = (a: FirstPage): string => `${a.limit} ${a.userId}`;
    await Promise.all(
      [...new Set(asks.map((a) => a.limit))].map(async (limit) => {
        const users = [...new Set(asks.filter((a) => a.limit === limit).map((a) => a.userId))];
        const { rows } = await this.pool.query<ConversationRow & { of_user: string }>(
          SQL.listConversationsOfUsers,
          [users, limit],
        );
        for (const row of rows) {
          const page = pages.get(key({ userId: row.of_user, limit })) ?? [];
          page.push(conversationFromRow(row));
          pages.set(key({ userId: row.of_user, limit }), page);
        }
      }),
    );
    // Each caller gets records of its own, as from a read of its own.
    const handed = new Set<Conversation[]>();
    return asks.map((a) => ownCopy(pages.get(key(a)) ?? [], handed));
  });

  constructor(private readonly pool: Pool) {}

  async insertConversation(conversation: Conversation): Promise<boolean> {
    const result = await this.pool.query(SQL.insertConversation, conversationParams(conversation));
    return result.rowCount === 1;
  }

  findConversation(id: string): Promise<Conversation | null> {
    return this.reads.add(id);
  }

  async reserveMessageSeq(
    conversationId: string,
    now: Date,
    preview: LastMessagePreview,
  ): Promise<SeqReservation | null> {
    const { rows } = await this.pool.query<ReservationRow>(SQL.reserveMessageSeq, [
      conversationId,
      now,
      preview.messageId,
      preview.content,
    ]);
    const row = rows[0];
    return row ? { seq: Number(row.last_seq), at: row.last_message_at } : null;
  }

  async recordEmittedSeqs(marks: readonly EmittedMark[]): Promise<void> {
    if (marks.length === 0) return;
    await this.pool.query(SQL.recordEmittedSeqs, [
      marks.map((m) => m.conversationId),
      marks.map((m) => m.seq),
    ]);
  }

  async replaceLastMessagePreview(
    conversationId: string,
    messageId: string,
    content: string | null,
  ): Promise<void> {
    await this.pool.query(SQL.replaceLastMessagePreview, [conversationId, messageId, content]);
  }

  async listConversationsOfUser(
    userId: string,
    before: ActivityKey | null,
    limit: number,
  ): Promise<Conversation[]> {
    if (!before) return this.firstPages.add({ userId, limit });
    const { rows } = await this.pool.query<ConversationRow>(SQL.listConversationsOfUserBefore, [
      userId,
      before.updatedAt,
      before.id,
      limit,
    ]);
    return rows.map(conversationFromRow);
  }
}
