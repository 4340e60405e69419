// A SYNC's seven change lists in one statement. A returning device asks for all of them at once,
// and in a reconnect storm a statement's cost is mostly its round trip (one system call to send,
// one wake-up of the backend), not its rows: seven lists as seven statements made most of a
// node's database traffic. Each list is its own store method's query, unchanged (so the EXPLAIN
// checks of those hold here too), aggregated to JSON in its own order; the JSON is turned back
// into the rows pg would have returned, and read by the same mappers.
import type { Pool } from 'pg';
import type { SyncChanges, SyncChangesQuery } from '../../../ports';
import { SQL as messageSql } from './postgres-message-store';
import {
  messageFromRow,
  participantFromRow,
  type MessageRow,
  type ParticipantRow,
} from './postgres-mapping';
import { SQL as participantSql } from './postgres-participant-store';
import { pinFromRow, SQL as pinSql, type PinRow } from './postgres-pin-store';
import { reactionFromRow, SQL as reactionSql, type ReactionRow } from './postgres-reaction-store';

/**
 * The statement's parameters: $1 conversation ids, $2 user id, $3 since, $4/$5 the edits' key
 * after which to list, $6–$10 the limits of edits, receipts, memberships, pins and reactions.
 */
const params = (q: SyncChangesQuery): unknown[] => [
  q.conversationIds,
  q.userId,
  q.since,
  q.editsAfter.createdAt,
  q.editsAfter.id,
  q.limits.edits,
  q.limits.receipts,
  q.limits.memberships,
  q.limits.pins,
  q.limits.reactions,
];

/** A part's query with its own `$n` renamed to the combined statement's `$numbers[n - 1]`. */
const renumbered = (sql: string, numbers: readonly number[]): string =>
  sql.replace(/\$(\d+)/g, (_, n: string) => `$${numbers[Number(n) - 1]}`);

/** The list as one JSON array in the query's own order (json_agg keeps no order by itself). */
const aggregated = (name: keyof SyncChanges, sql: string, order: string): string =>
  `(SELECT coalesce(json_agg(t ORDER BY ${order}), '[]'::json)::text FROM (${sql}) t) AS "${name}"`;

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  listSyncChanges: `SELECT
    ${aggregated('edits', renumbered(messageSql.listMessageEditsSince, [1, 4, 5, 6]), 't.changed_at, t.id')},
    ${aggregated(
      'receipts',
      renumbered(participantSql.listReceiptsChangedSince, [1, 3, 7]),
      't.receipts_at, t.conversation_id, t.user_id',
    )},
    ${aggregated(
      'memberships',
      renumbered(participantSql.listMembershipChangesSince, [1, 3, 8]),
      'GREATEST(t.joined_at, t.left_at), t.conversation_id, t.user_id',
    )},
    ${aggregated('left', renumbered(participantSql.listConversationsLeftSince, [2, 3]), 't.left_at, t.conversation_id')},
    ${aggregated('mutes', renumbered(participantSql.listMuteChangesSince, [2, 3]), 't.mute_changed_at, t.conversation_id')},
    ${aggregated('pins', renumbered(pinSql.listPinChangesSince, [1, 3, 9]), 't.changed_at, t.id')},
    ${aggregated('reactions', renumbered(reactionSql.listReactionChangesSince, [1, 3, 10]), 't.changed_at, t.id')}`,
} as const;

/** timestamptz columns of the four tables read: JSON holds them as ISO strings. */
const TIMESTAMPS = new Set([
  'joined_at',
  'left_at',
  'receipts_at',
  'muted_until',
  'mute_changed_at',
  'created_at',
  'updated_at',
  'deleted_at',
  'changed_at',
  'pinned_at',
  'unpinned_at',
  'removed_at',
]);
/** int8 columns: JSON holds them as numbers, pg's rows as strings (what the mappers take). */
const INT8 = new Set(['seq', 'joined_seq', 'seen_seq', 'delivered_seq', 'message_seq']);

/** One aggregated list back as the rows pg would have returned for the part's own query. */
function rowsOf<Row>(json: string): Row[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) throw new Error('listSyncChanges: a list is not a JSON array');
  return parsed.map((raw: Record<string, unknown>) => {
    const row: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(raw)) {
      if (typeof value === 'string' && TIMESTAMPS.has(column)) row[column] = new Date(value);
      else if (typeof value === 'number' && INT8.has(column)) row[column] = String(value);
      else row[column] = value;
    }
    // The columns are the part's own query's, so the row is that query's row type.
    return row as Row;
  });
}

interface ChangesRow {
  edits: string;
  receipts: string;
  memberships: string;
  left: string;
  mutes: string;
  pins: string;
  reactions: string;
}

export async function listSyncChanges(pool: Pool, q: SyncChangesQuery): Promise<SyncChanges> {
  const { rows } = await pool.query<ChangesRow>(SQL.listSyncChanges, params(q));
  const row = rows[0];
  if (!row) throw new Error('listSyncChanges: no row');
  return {
    edits: rowsOf<MessageRow>(row.edits).map(messageFromRow),
    receipts: rowsOf<ParticipantRow>(row.receipts).map(participantFromRow),
    memberships: rowsOf<ParticipantRow>(row.memberships).map(participantFromRow),
    left: rowsOf<ParticipantRow>(row.left).map(participantFromRow),
    mutes: rowsOf<ParticipantRow>(row.mutes).map(participantFromRow),
    pins: rowsOf<PinRow>(row.pins).map(pinFromRow),
    reactions: rowsOf<ReactionRow>(row.reactions).map(reactionFromRow),
  };
}
