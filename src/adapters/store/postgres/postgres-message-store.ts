// How messages are stored in PostgreSQL: one row per message, found by (conversation_id, seq);
// the row also carries its pending `message.sent` event (the outbox), so the message and its
// event are written together by one statement.
import { DatabaseError, type Pool } from 'pg';
import type { OrderKey } from '../../../domain/ordering';
import type { Message } from '../../../domain/types';
import type { AppendResult, MessageDraft, MessagePatch, MessageStore } from '../../../ports';
import { Batcher } from '../../../app/batcher';
import { BACKGROUND_SQL } from '../store-commands';
import { reserveSeqSet } from './postgres-conversation-store';
import {
  columns,
  MESSAGE_COLUMNS,
  mediaParam,
  messageFromRow,
  messageParams,
  placeholders,
  type MessageRow,
} from './postgres-mapping';

const COLS = columns(MESSAGE_COLUMNS);

/** The constraints a repeated send (same id, or same sender and tempId) collides on. */
const DUPLICATE_CONSTRAINTS = new Set(['messages_pkey', 'messages_sender_temp_id_key']);
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';

const isDuplicateMessage = (err: unknown): boolean =>
  err instanceof DatabaseError &&
  err.code === UNIQUE_VIOLATION &&
  err.constraint !== undefined &&
  DUPLICATE_CONSTRAINTS.has(err.constraint);

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /**
   * The send: one statement. The CTE takes the conversation's next seq under its row lock (as
   * reserveMessageSeq does), and the INSERT stores the message at it, pending in the outbox,
   * createdAt = changedAt = the reservation's time. There is deliberately no ON CONFLICT: a
   * duplicate id raises a unique violation that aborts the whole statement, the seq increment
   * with it, so a retried send consumes no seq; no conversation row, or a sender who is not a
   * current participant (the EXISTS, on the participants primary key), no message (zero rows).
   * $1 conversation, $2 now, $3 preview content, $4 id, $5 sender, $6 content, $7 type,
   * $8 media, $9 reply to, $10 temp id, $11 body hash, $12 updated at, $13 deleted at,
   * $14 origin socket, $15 mentions.
   */
  appendMessage: `WITH r AS (
      UPDATE conversations SET ${reserveSeqSet('$2', '$4', '$3')}
      WHERE id = $1 AND EXISTS (
        SELECT 1 FROM participants p
        WHERE p.conversation_id = $1 AND p.user_id = $5 AND p.left_at IS NULL AND NOT p.blocked
      )
      RETURNING id, last_seq, last_message_at
    )
    INSERT INTO messages (${COLS}, event_pending)
    SELECT $4, r.id, r.last_seq, $5, $6, $7, $8::jsonb, $9, $10, $11,
      r.last_message_at, $12::timestamptz, $13::timestamptz, r.last_message_at, $14,
      $15::text[], true
    FROM r
    RETURNING seq, created_at, ARRAY(
      SELECT p.user_id::text FROM participants p
      WHERE p.conversation_id = $1 AND p.left_at IS NULL AND p.joined_seq < messages.seq
    ) AS participant_ids`,
  /**
   * Several sends, to one conversation or to many, in one statement (group commit): one commit,
   * and each conversation's row locked once. Drafts whose sender is not a current participant
   * (refused: that comes first), or whose id is stored already (duplicates), are left out; the
   * rest of each conversation take its next seqs in the drafts' order and share the statement's
   * time, and the last of them becomes its preview. The conversation rows are locked in id order
   * before any is updated (`locked`), so two nodes' batches over the same conversations queue
   * behind each other instead of deadlocking. Each draft comes back, in order, with its seq
   * (null: left out), whether it was a duplicate or blocked, and its audience. Two drafts with one
   * id in a batch raise a unique violation (the caller appends them one by one instead).
   * $1 now, $2.. $14 the drafts' conversations, ids, senders, contents, types, media (JSON),
   * reply-to ids, temp ids, body hashes, previews, origin sockets and mentions (JSON arrays:
   * unnest cannot take an array of arrays of different lengths), in order.
   */
  appendMessages: `WITH d AS (
      SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
          $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
          $13::text[]) WITH ORDINALITY
        AS d (conversation_id, id, sender_id, content, type, media, reply_to_message_id, temp_id,
          body_hash, preview, origin_socket_id, mentions, ord)
    ),
    ok AS (
      SELECT d.*, row_number() OVER (PARTITION BY d.conversation_id ORDER BY d.ord) AS k FROM d
      WHERE EXISTS (
          SELECT 1 FROM participants p
          WHERE p.conversation_id = d.conversation_id AND p.user_id = d.sender_id
            AND p.left_at IS NULL AND NOT p.blocked
        )
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = d.id)
    ),
    g AS (
      SELECT conversation_id, count(*) AS n,
        (array_agg(id ORDER BY k DESC))[1] AS last_id,
        (array_agg(preview ORDER BY k DESC))[1] AS last_preview
      FROM ok GROUP BY conversation_id
    ),
    locked AS (
      SELECT c.id FROM conversations c WHERE c.id IN (SELECT conversation_id FROM g)
      ORDER BY c.id FOR UPDATE
    ),
    r AS (
      UPDATE conversations c SET
        last_seq = c.last_seq + g.n,
        last_message_id = g.last_id,
        last_message_content = g.last_preview,
        last_message_at = GREATEST($1::timestamptz, c.last_message_at),
        updated_at = GREATEST(c.updated_at, $1::timestamptz, c.last_message_at)
      FROM g JOIN locked ON locked.id = g.conversation_id
      WHERE c.id = g.conversation_id
      RETURNING c.id, c.last_seq, c.last_message_at, g.n
    ),
    ins AS (
      INSERT INTO messages (${COLS}, event_pending)
      SELECT ok.id, ok.conversation_id, r.last_seq - r.n + ok.k, ok.sender_id, ok.content,
        ok.type, ok.media::jsonb, ok.reply_to_message_id, ok.temp_id, ok.body_hash,
        r.last_message_at, NULL::timestamptz, NULL::timestamptz, r.last_message_at,
        ok.origin_socket_id, ARRAY(SELECT jsonb_array_elements_text(ok.mentions::jsonb)), true
      FROM ok JOIN r ON r.id = ok.conversation_id
      RETURNING id, seq, created_at
    )
    SELECT ins.seq, ins.created_at,
      ins.id IS NULL
        AND EXISTS (
          SELECT 1 FROM participants p
          WHERE p.conversation_id = d.conversation_id AND p.user_id = d.sender_id
            AND p.left_at IS NULL AND NOT p.blocked
        )
        AND EXISTS (SELECT 1 FROM messages m WHERE m.id = d.id) AS duplicate,
      ins.id IS NULL
        AND EXISTS (
          SELECT 1 FROM participants p
          WHERE p.conversation_id = d.conversation_id AND p.user_id = d.sender_id
            AND p.left_at IS NULL AND p.blocked
        ) AS blocked,
      CASE WHEN ins.id IS NULL THEN NULL ELSE ARRAY(
        SELECT p.user_id::text FROM participants p
        WHERE p.conversation_id = d.conversation_id AND p.left_at IS NULL
          AND p.joined_seq < ins.seq
      ) END AS participant_ids
    FROM d LEFT JOIN ins ON ins.id = d.id
    ORDER BY d.ord`,
  /**
   * Only after a send stored nothing (never on the send path's success): whether the sender is
   * a current participant kept out by a block ($1 conversation, $2 sender; the primary key).
   */
  appendRefusalBlocked: `SELECT blocked FROM participants
    WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`,
  /** Tests and tools: false when the message collides (its id, or its sender+tempId or seq). */
  insertMessage: `INSERT INTO messages (${COLS}, event_pending)
    VALUES (${placeholders(MESSAGE_COLUMNS.length)}, true)
    ON CONFLICT DO NOTHING`,
  findMessage: `SELECT ${COLS} FROM messages WHERE id = $1`,
  listMessagesNewest: `SELECT ${COLS} FROM messages WHERE conversation_id = $1
    ORDER BY seq DESC LIMIT $2`,
  listMessagesBefore: `SELECT ${COLS} FROM messages WHERE conversation_id = $1 AND seq < $2
    ORDER BY seq DESC LIMIT $3`,
  listMessagesAfter: `SELECT ${COLS} FROM messages WHERE conversation_id = $1 AND seq > $2
    ORDER BY seq LIMIT $3`,
  /**
   * listMessagesAfter for several asks at once ($1 conversations, $2 seqs, $3 limits, one per
   * ask): rows tagged with their ask (1-based), each ask's in seq order.
   */
  listMessagesAfterEach: `SELECT w.ask, x.*
    FROM unnest($1::text[], $2::bigint[], $3::int[]) WITH ORDINALITY AS w (conversation_id, after_seq, lim, ask)
    CROSS JOIN LATERAL (
      SELECT ${COLS} FROM messages
      WHERE conversation_id = w.conversation_id AND seq > w.after_seq
      ORDER BY seq LIMIT w.lim
    ) x
    ORDER BY w.ask, x.seq`,
  /** Exact, from the index alone (messages_live_by_seq covers the live rows and their senders). */
  countMessagesAfter: `SELECT count(*) AS count FROM messages
    WHERE conversation_id = $1 AND seq > $2 AND sender_id <> $3 AND deleted_at IS NULL`,
  /**
   * Exact, from the partial index messages_live_mentions alone (its predicate is repeated here
   * so the planner can use it): only live messages that mention someone are visited.
   */
  countMentionsAfter: `SELECT count(*) AS count FROM messages
    WHERE conversation_id = $1 AND seq > $2 AND deleted_at IS NULL AND cardinality(mentions) > 0
      AND $3::text = ANY (mentions) AND sender_id <> $3::text`,
  /**
   * Fields the patch leaves out keep their value: $2 says whether content is set ($3, possibly
   * null); media, type and the two times are never set to null by a patch, so null means "keep".
   */
  updateMessage: `UPDATE messages SET
      content = CASE WHEN $2::boolean THEN $3::text ELSE content END,
      media = COALESCE($4::jsonb, media),
      type = COALESCE($5::text, type),
      updated_at = COALESCE($6::timestamptz, updated_at),
      deleted_at = COALESCE($7::timestamptz, deleted_at),
      changed_at = $8,
      mentions = COALESCE($9::text[], mentions)
    WHERE id = $1
    RETURNING ${COLS}`,
  listMessageEditsSince: `SELECT ${COLS} FROM messages
    WHERE conversation_id = ANY ($1::text[])
      AND (updated_at IS NOT NULL OR deleted_at IS NOT NULL)
      AND (changed_at, id) > ($2::timestamptz, $3::text)
    ORDER BY changed_at, id LIMIT $4`,
  // The outbox relay's sweep and claims and a scrape's count: the node's own background work.
  listPendingMessageEvents: `${BACKGROUND_SQL} SELECT ${COLS} FROM messages
    WHERE event_pending AND created_at < $1
    ORDER BY created_at, seq, id LIMIT $2`,
  /** Compare-and-set on the one row: only an unclaimed or expired claim is taken over. */
  claimPendingMessageEvent: `${BACKGROUND_SQL} UPDATE messages SET event_claimed_until = $3
    WHERE id = $1 AND event_pending
      AND (event_claimed_until IS NULL OR event_claimed_until <= $2)`,
  clearPendingMessageEvents: `UPDATE messages SET event_pending = false, event_claimed_until = NULL
    WHERE id = ANY ($1::text[]) AND event_pending`,
  countPendingMessageEvents: `${BACKGROUND_SQL} SELECT count(*) AS count FROM messages WHERE event_pending`,
} as const;

interface AppendedRow {
  seq: string;
  created_at: Date;
  participant_ids: string[];
}

interface BatchAppendedRow {
  seq: string | null;
  created_at: Date | null;
  duplicate: boolean;
  blocked: boolean;
  participant_ids: string[] | null;
}

interface CountRow {
  count: string;
}

interface AfterAsk {
  conversationId: string;
  afterSeq: number;
  limit: number;
}

export class PostgresMessageStore implements MessageStore {
  /**
   * Pages after a seq asked for in one tick go out as one statement: every SYNC and greeting of
   * a reconnect storm reads one or two, and each was a round trip of its own.
   */
  private readonly afterReads = new Batcher<AfterAsk, Message[]>(async (asks) => {
    if (asks.length === 1) {
      const [ask] = asks as [AfterAsk];
      const { rows } = await this.pool.query<MessageRow>(SQL.listMessagesAfter, [
        ask.conversationId,
        ask.afterSeq,
        ask.limit,
      ]);
      return [rows.map(messageFromRow)];
    }
    const { rows } = await this.pool.query<MessageRow & { ask: string }>(
      SQL.listMessagesAfterEach,
      [asks.map((a) => a.conversationId), asks.map((a) => a.afterSeq), asks.map((a) => a.limit)],
    );
    const pages = asks.map((): Message[] => []);
    for (const row of rows) pages[Number(row.ask) - 1]?.push(messageFromRow(row));
    return pages;
  });

  constructor(private readonly pool: Pool) {}

  async appendMessage(
    draft: MessageDraft,
    now: Date,
    previewContent: string | null,
  ): Promise<AppendResult> {
    let rows: AppendedRow[];
    try {
      ({ rows } = await this.pool.query<AppendedRow>(SQL.appendMessage, [
        draft.conversationId,
        now,
        previewContent,
        draft.id,
        draft.senderId,
        draft.content,
        draft.type,
        mediaParam(draft.media),
        draft.replyToMessageId,
        draft.tempId,
        draft.bodyHash,
        draft.updatedAt,
        draft.deletedAt,
        draft.originSocketId,
        draft.mentions,
      ]));
    } catch (err) {
      if (isDuplicateMessage(err)) return { kind: 'duplicate' };
      throw err;
    }
    const row = rows[0];
    if (!row) return this.refusal(draft);
    return {
      kind: 'appended',
      message: {
        ...draft,
        seq: Number(row.seq),
        createdAt: row.created_at,
        changedAt: row.created_at,
      },
      participantIds: row.participant_ids,
    };
  }

  /** Drafts of one or more conversations, appended by one statement; see SQL.appendMessages. */
  async appendMessages(
    drafts: readonly MessageDraft[],
    now: Date,
    previews: readonly (string | null)[],
  ): Promise<AppendResult[]> {
    if (drafts.length === 0) return [];
    if (new Set(drafts.map((d) => d.id)).size < drafts.length)
      return this.appendEach(drafts, now, previews);
    let rows: BatchAppendedRow[];
    try {
      rows = await this.runAppendBatch(drafts, now, previews);
    } catch (err) {
      // Another node stored one of these ids meanwhile: sort them out one by one.
      if (isDuplicateMessage(err)) return this.appendEach(drafts, now, previews);
      throw err;
    }
    return drafts.map((draft, i): AppendResult => {
      const row = rows[i];
      if (!row || row.seq === null || row.created_at === null || row.participant_ids === null)
        return row?.blocked
          ? { kind: 'blocked' }
          : row?.duplicate
            ? { kind: 'duplicate' }
            : { kind: 'refused' };
      return {
        kind: 'appended',
        message: {
          ...draft,
          updatedAt: null,
          deletedAt: null,
          seq: Number(row.seq),
          createdAt: row.created_at,
          changedAt: row.created_at,
        },
        participantIds: row.participant_ids,
      };
    });
  }

  /** SQL.appendMessages once, or twice when the first was chosen as a deadlock victim. */
  private async runAppendBatch(
    drafts: readonly MessageDraft[],
    now: Date,
    previews: readonly (string | null)[],
    attempt = 1,
  ): Promise<BatchAppendedRow[]> {
    try {
      const { rows } = await this.pool.query<BatchAppendedRow>(SQL.appendMessages, [
        now,
        drafts.map((d) => d.conversationId),
        drafts.map((d) => d.id),
        drafts.map((d) => d.senderId),
        drafts.map((d) => d.content),
        drafts.map((d) => d.type),
        drafts.map((d) => mediaParam(d.media)),
        drafts.map((d) => d.replyToMessageId),
        drafts.map((d) => d.tempId),
        drafts.map((d) => d.bodyHash),
        previews,
        drafts.map((d) => d.originSocketId),
        drafts.map((d) => JSON.stringify(d.mentions)),
      ]);
      return rows;
    } catch (err) {
      // Every statement over several conversations takes their rows in id order, so none should
      // be chosen as a deadlock victim; if one is anyway, nothing of it was written: run it again.
      if (attempt === 1 && err instanceof DatabaseError && err.code === DEADLOCK_DETECTED)
        return this.runAppendBatch(drafts, now, previews, 2);
      throw err;
    }
  }

  /** Why a send stored nothing: a block of the DIRECT's pair, or not a current participant. */
  private async refusal(draft: MessageDraft): Promise<AppendResult> {
    const { rows } = await this.pool.query<{ blocked: boolean }>(SQL.appendRefusalBlocked, [
      draft.conversationId,
      draft.senderId,
    ]);
    return rows[0]?.blocked === true ? { kind: 'blocked' } : { kind: 'refused' };
  }

  private async appendEach(
    drafts: readonly MessageDraft[],
    now: Date,
    previews: readonly (string | null)[],
  ): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const [i, draft] of drafts.entries())
      results.push(await this.appendMessage(draft, now, previews[i] ?? null));
    return results;
  }

  async insertMessage(message: Message): Promise<boolean> {
    const result = await this.pool.query(SQL.insertMessage, messageParams(message));
    return result.rowCount === 1;
  }

  async findMessage(id: string): Promise<Message | null> {
    const { rows } = await this.pool.query<MessageRow>(SQL.findMessage, [id]);
    return rows[0] ? messageFromRow(rows[0]) : null;
  }

  async listMessagesBefore(
    conversationId: string,
    beforeSeq: number | null,
    limit: number,
  ): Promise<Message[]> {
    const { rows } =
      beforeSeq === null
        ? await this.pool.query<MessageRow>(SQL.listMessagesNewest, [conversationId, limit])
        : await this.pool.query<MessageRow>(SQL.listMessagesBefore, [
            conversationId,
            beforeSeq,
            limit,
          ]);
    return rows.map(messageFromRow);
  }

  listMessagesAfter(conversationId: string, afterSeq: number, limit: number): Promise<Message[]> {
    return this.afterReads.add({ conversationId, afterSeq, limit });
  }

  async countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
  ): Promise<number> {
    const { rows } = await this.pool.query<CountRow>(SQL.countMessagesAfter, [
      conversationId,
      afterSeq,
      excludeSenderId,
    ]);
    return Number(rows[0]?.count ?? 0);
  }

  async countMentionsAfter(
    conversationId: string,
    afterSeq: number,
    userId: string,
  ): Promise<number> {
    const { rows } = await this.pool.query<CountRow>(SQL.countMentionsAfter, [
      conversationId,
      afterSeq,
      userId,
    ]);
    return Number(rows[0]?.count ?? 0);
  }

  async updateMessage(id: string, patch: MessagePatch): Promise<Message | null> {
    const { rows } = await this.pool.query<MessageRow>(SQL.updateMessage, [
      id,
      patch.content !== undefined,
      patch.content ?? null,
      patch.media === undefined ? null : mediaParam(patch.media),
      patch.type ?? null,
      patch.updatedAt ?? null,
      patch.deletedAt ?? null,
      patch.changedAt,
      patch.mentions ?? null,
    ]);
    return rows[0] ? messageFromRow(rows[0]) : null;
  }

  async listMessageEditsSince(
    conversationIds: readonly string[],
    after: OrderKey,
    limit: number,
  ): Promise<Message[]> {
    if (conversationIds.length === 0) return [];
    const { rows } = await this.pool.query<MessageRow>(SQL.listMessageEditsSince, [
      conversationIds,
      after.createdAt,
      after.id,
      limit,
    ]);
    return rows.map(messageFromRow);
  }

  async listPendingMessageEvents(createdBefore: Date, limit: number): Promise<Message[]> {
    const { rows } = await this.pool.query<MessageRow>(SQL.listPendingMessageEvents, [
      createdBefore,
      limit,
    ]);
    return rows.map(messageFromRow);
  }

  async claimPendingMessageEvent(messageId: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.pool.query(SQL.claimPendingMessageEvent, [messageId, now, until]);
    return result.rowCount === 1;
  }

  async clearPendingMessageEvents(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.pool.query(SQL.clearPendingMessageEvents, [messageIds]);
  }

  async countPendingMessageEvents(): Promise<number> {
    const { rows } = await this.pool.query<CountRow>(SQL.countPendingMessageEvents);
    return Number(rows[0]?.count ?? 0);
  }
}
