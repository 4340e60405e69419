// How participants are stored in PostgreSQL: one row per (conversation, user), keyed by the pair;
// watermarks are flat columns so one statement compares, moves and reports them. Reads of one
// participant and of one conversation's participants that arrive together go out as one
// statement each (group commit): a reconnect storm's SYNCs ask for thousands of them at once.
import type { Pool } from 'pg';
import { Batcher } from '../../../app/batcher';
import type { Participant, ParticipantRole, Watermark } from '../../../domain/types';
import type { DeliveredMove, MuteSetting, ParticipantStore, WatermarkMove } from '../../../ports';
import {
  columns,
  PARTICIPANT_COLUMNS,
  PARTICIPANT_READ_COLUMNS,
  participantFromRow,
  ownCopy,
  participantParams,
  placeholders,
  watermarkFromRow,
  type ParticipantRow,
} from './postgres-mapping';

const COLS = columns(PARTICIPANT_COLUMNS);
const READ_COLS = columns(PARTICIPANT_READ_COLUMNS);
/** What a (re-)join writes: every column but the key. */
const STATE_COLUMNS = PARTICIPANT_COLUMNS.filter((c) => c !== 'conversation_id' && c !== 'user_id');

/**
 * Compare-and-set of one watermark that also reports where it stood, in one statement: `old`
 * locks the row (FOR UPDATE, which under READ COMMITTED waits for a concurrent mover and then
 * reads its result), `moved` advances it only for a current participant and only forward, and
 * the statement returns the locked (previous) value. Concurrent moves therefore report disjoint
 * ranges. $1 conversation, $2 user, $3 seq, $4 message id, $5 receipts time.
 */
const advanceWatermarkSql = (kind: 'seen' | 'delivered'): string =>
  `WITH old AS (
      SELECT conversation_id, user_id, left_at, ${kind}_message_id AS message_id, ${kind}_seq AS seq
      FROM participants WHERE conversation_id = $1 AND user_id = $2
      FOR UPDATE
    ), moved AS (
      UPDATE participants p
      SET ${kind}_seq = $3, ${kind}_message_id = $4, receipts_at = $5
      FROM old
      WHERE p.conversation_id = old.conversation_id AND p.user_id = old.user_id
        AND old.left_at IS NULL AND (old.seq IS NULL OR old.seq < $3::bigint)
      RETURNING 1
    )
    SELECT old.message_id, old.seq, EXISTS (SELECT 1 FROM moved) AS moved FROM old`;

/**
 * advanceWatermarkSql('delivered') for many participants in one statement: `old` locks their
 * rows in key order (so two nodes' batches never wait on each other in a cycle), `moved` advances
 * each only for a current participant and only forward, and every locked row comes back with
 * where it stood and whether it moved. One move per participant ($1 conversations, $2 users,
 * $3 seqs, $4 message ids, $5 receipts times, in step).
 */
const advanceDeliveredManySql = `WITH d AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[])
        AS d (conversation_id, user_id, seq, message_id, at)
    ), old AS (
      SELECT p.conversation_id, p.user_id, p.left_at, p.delivered_message_id AS message_id,
        p.delivered_seq AS seq
      FROM participants p
      JOIN d ON p.conversation_id = d.conversation_id AND p.user_id = d.user_id
      ORDER BY p.conversation_id, p.user_id
      FOR UPDATE OF p
    ), moved AS (
      UPDATE participants p
      SET delivered_seq = d.seq, delivered_message_id = d.message_id, receipts_at = d.at
      FROM old JOIN d ON d.conversation_id = old.conversation_id AND d.user_id = old.user_id
      WHERE p.conversation_id = old.conversation_id AND p.user_id = old.user_id
        AND old.left_at IS NULL AND (old.seq IS NULL OR old.seq < d.seq)
      RETURNING p.conversation_id, p.user_id
    )
    SELECT old.conversation_id, old.user_id, old.message_id, old.seq,
      EXISTS (
        SELECT 1 FROM moved
        WHERE moved.conversation_id = old.conversation_id AND moved.user_id = old.user_id
      ) AS moved
    FROM old`;

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /**
   * Adds the participant, or re-joins one who left (every state column reset); a current one is
   * left alone. ON CONFLICT … DO UPDATE … WHERE re-checks `left_at` on the locked, latest row, so
   * exactly one of many concurrent (re-)joins changes it.
   */
  upsertParticipant: `INSERT INTO participants (${COLS}) VALUES (${placeholders(PARTICIPANT_COLUMNS.length)})
    ON CONFLICT (conversation_id, user_id) DO UPDATE
    SET ${STATE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
    WHERE participants.left_at IS NOT NULL`,
  /** Participants by key ($1 conversations, $2 users, pairwise; each pair once). */
  findParticipants: `SELECT ${READ_COLS} FROM participants
    WHERE (conversation_id, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
  /** The participants of each of several conversations ($1, each once), each's in join order. */
  listParticipantsOf: `SELECT ${READ_COLS} FROM participants WHERE conversation_id = ANY ($1::text[])
    ORDER BY conversation_id, joined_at, user_id`,
  markParticipantLeft: `UPDATE participants SET left_at = $3
    WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`,
  setParticipantRole: `UPDATE participants SET role = $3 WHERE conversation_id = $1 AND user_id = $2`,
  advanceSeen: advanceWatermarkSql('seen'),
  advanceDelivered: advanceWatermarkSql('delivered'),
  advanceDeliveredMany: advanceDeliveredManySql,
  listReceiptsChangedSince: `SELECT ${READ_COLS} FROM participants
    WHERE conversation_id = ANY ($1::text[]) AND receipts_at > $2
    ORDER BY receipts_at, conversation_id, user_id LIMIT $3`,
  /** A change is a join or a departure after $2: two index ranges, ordered by the later of both. */
  listMembershipChangesSince: `SELECT ${READ_COLS} FROM participants
    WHERE conversation_id = ANY ($1::text[]) AND (joined_at > $2 OR left_at > $2)
    ORDER BY GREATEST(joined_at, left_at), conversation_id, user_id LIMIT $3`,
  listConversationsLeftSince: `SELECT ${READ_COLS} FROM participants
    WHERE user_id = $1 AND left_at > $2
    ORDER BY left_at, conversation_id`,
  setParticipantMute: `UPDATE participants SET muted = $3, muted_until = $4, mute_changed_at = $5
    WHERE conversation_id = $1 AND user_id = $2 AND left_at IS NULL`,
  listMuteChangesSince: `SELECT ${READ_COLS} FROM participants
    WHERE user_id = $1 AND mute_changed_at > $2 AND left_at IS NULL
    ORDER BY mute_changed_at, conversation_id`,
} as const;

interface KeyRow {
  conversation_id: string;
  user_id: string;
}

interface WatermarkMoveRow {
  message_id: string | null;
  seq: string | null;
  moved: boolean;
}

interface Key {
  conversationId: string;
  userId: string;
}

const keyOf = (k: Key): string => `${k.conversationId} ${k.userId}`;

export class PostgresParticipantStore implements ParticipantStore {
  private readonly finds = new Batcher<Key, Participant | null>(async (keys) => {
    const unique = [...new Map(keys.map((k) => [keyOf(k), k] as const)).values()];
    const { rows } = await this.pool.query<ParticipantRow>(SQL.findParticipants, [
      unique.map((k) => k.conversationId),
      unique.map((k) => k.userId),
    ]);
    const byKey = new Map(
      rows.map((r) => [keyOf({ conversationId: r.conversation_id, userId: r.user_id }), r]),
    );
    // Each caller gets a record of its own, as from a read of its own.
    const handed = new Set<ParticipantRow>();
    return keys.map((k) => {
      const row = byKey.get(keyOf(k));
      return row ? participantFromRow(ownCopy(row, handed)) : null;
    });
  });

  private readonly lists = new Batcher<string, Participant[]>(async (ids) => {
    const { rows } = await this.pool.query<ParticipantRow>(SQL.listParticipantsOf, [
      [...new Set(ids)],
    ]);
    const byConversation = new Map<string, ParticipantRow[]>();
    for (const row of rows) {
      const list = byConversation.get(row.conversation_id) ?? [];
      list.push(row);
      byConversation.set(row.conversation_id, list);
    }
    const handed = new Set<ParticipantRow>();
    return ids.map((id) =>
      (byConversation.get(id) ?? []).map((row) => participantFromRow(ownCopy(row, handed))),
    );
  });

  constructor(private readonly pool: Pool) {}

  async upsertParticipant(participant: Participant): Promise<boolean> {
    const result = await this.pool.query(SQL.upsertParticipant, participantParams(participant));
    return result.rowCount === 1;
  }

  findParticipant(conversationId: string, userId: string): Promise<Participant | null> {
    return this.finds.add({ conversationId, userId });
  }

  listParticipants(conversationId: string): Promise<Participant[]> {
    return this.lists.add(conversationId);
  }

  async markParticipantLeft(conversationId: string, userId: string, at: Date): Promise<boolean> {
    const result = await this.pool.query(SQL.markParticipantLeft, [conversationId, userId, at]);
    return result.rowCount === 1;
  }

  async setParticipantRole(
    conversationId: string,
    userId: string,
    role: ParticipantRole,
  ): Promise<void> {
    await this.pool.query(SQL.setParticipantRole, [conversationId, userId, role]);
  }

  async advanceWatermark(
    conversationId: string,
    userId: string,
    kind: 'seen' | 'delivered',
    to: Watermark,
    at: Date,
  ): Promise<WatermarkMove> {
    const { rows } = await this.pool.query<WatermarkMoveRow>(
      kind === 'seen' ? SQL.advanceSeen : SQL.advanceDelivered,
      [conversationId, userId, to.seq, to.messageId, at],
    );
    const row = rows[0];
    if (!row) return { moved: false, previous: null };
    return { moved: row.moved, previous: watermarkFromRow(row.message_id, row.seq) };
  }

  async advanceDeliveredWatermarks(moves: readonly DeliveredMove[]): Promise<WatermarkMove[]> {
    // One move per participant goes to the statement: the highest (the lower ones it covers
    // are then no-ops, as if they had come first).
    const key = (m: DeliveredMove): string => `${m.conversationId}\u0000${m.userId}`;
    const highest = new Map<string, DeliveredMove>();
    for (const m of moves) {
      const known = highest.get(key(m));
      if (!known || known.to.seq < m.to.seq) highest.set(key(m), m);
    }
    const batch = [...highest.values()];
    const { rows } = await this.pool.query<WatermarkMoveRow & KeyRow>(SQL.advanceDeliveredMany, [
      batch.map((m) => m.conversationId),
      batch.map((m) => m.userId),
      batch.map((m) => m.to.seq),
      batch.map((m) => m.to.messageId),
      batch.map((m) => m.at),
    ]);
    const stood = new Map(rows.map((r) => [`${r.conversation_id}\u0000${r.user_id}`, r]));
    return moves.map((m) => {
      const row = stood.get(key(m));
      // No row: not a participant at all, as advanceWatermark answers it.
      if (!row) return { moved: false, previous: null };
      const before = watermarkFromRow(row.message_id, row.seq);
      const top = highest.get(key(m));
      if (top === m) return { moved: row.moved, previous: before };
      // A lower move of the same participant: as if it came right after the highest.
      return { moved: false, previous: row.moved && top ? top.to : before };
    });
  }

  async listReceiptsChangedSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    if (conversationIds.length === 0) return [];
    const { rows } = await this.pool.query<ParticipantRow>(SQL.listReceiptsChangedSince, [
      conversationIds,
      since,
      limit,
    ]);
    return rows.map(participantFromRow);
  }

  async listMembershipChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Participant[]> {
    if (conversationIds.length === 0) return [];
    const { rows } = await this.pool.query<ParticipantRow>(SQL.listMembershipChangesSince, [
      conversationIds,
      since,
      limit,
    ]);
    return rows.map(participantFromRow);
  }

  async listConversationsLeftSince(userId: string, since: Date): Promise<Participant[]> {
    const { rows } = await this.pool.query<ParticipantRow>(SQL.listConversationsLeftSince, [
      userId,
      since,
    ]);
    return rows.map(participantFromRow);
  }

  async setParticipantMute(
    conversationId: string,
    userId: string,
    mute: MuteSetting,
    at: Date,
  ): Promise<boolean> {
    const result = await this.pool.query(SQL.setParticipantMute, [
      conversationId,
      userId,
      mute.muted,
      mute.muted ? mute.until : null,
      at,
    ]);
    return result.rowCount === 1;
  }

  async listMuteChangesSince(userId: string, since: Date): Promise<Participant[]> {
    const { rows } = await this.pool.query<ParticipantRow>(SQL.listMuteChangesSince, [
      userId,
      since,
    ]);
    return rows.map(participantFromRow);
  }
}
