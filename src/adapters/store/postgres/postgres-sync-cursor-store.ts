// How SYNC cursors are stored in PostgreSQL: one small row each (positions as jsonb). PostgreSQL
// has no TTL monitor, so each save also removes a few expired cursors, and reads check expiry.
// Every connection's greeting and every SYNC saves one: saves that arrive together go out as one
// statement (group commit), so a reconnect storm's thousands of cursors cost a few round trips.
import type { Pool } from 'pg';
import { Batcher } from '../../../app/batcher';
import type {
  SyncChanges,
  SyncChangesQuery,
  SyncCursorRecord,
  SyncCursorStore,
} from '../../../ports';
import {
  columns,
  SYNC_CURSOR_COLUMNS,
  syncCursorFromRow,
  type SyncCursorRow,
} from './postgres-mapping';
import { listSyncChanges } from './postgres-sync-changes';

const COLS = columns(SYNC_CURSOR_COLUMNS);
/** Expired cursors a save removes: more than one, so deletion outpaces creation. */
const PURGE_PER_SAVE = 16;

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /**
   * Saves (or replaces) a batch of cursors ($1–$6: one array per column, in COLS order) and, in
   * the same statement, deletes up to $8 cursors that had expired by the batch's earliest
   * creation time ($7). SKIP LOCKED: concurrent saves never wait on each other's purge, they just
   * take different expired rows. A batch never holds one id twice (ON CONFLICT could not take it).
   */
  saveSyncCursors: `WITH purged AS (
      DELETE FROM sync_cursors WHERE id IN (
        SELECT id FROM sync_cursors WHERE expires_at <= $7::timestamptz AND id <> ALL($1::text[])
        ORDER BY expires_at LIMIT $8
        FOR UPDATE SKIP LOCKED
      )
    )
    INSERT INTO sync_cursors (${COLS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[],
      $5::timestamptz[], $6::timestamptz[])
    ON CONFLICT (id) DO UPDATE SET
      user_id = EXCLUDED.user_id, positions = EXCLUDED.positions,
      changes_since = EXCLUDED.changes_since, created_at = EXCLUDED.created_at,
      expires_at = EXCLUDED.expires_at`,
  findSyncCursor: `SELECT ${COLS} FROM sync_cursors WHERE id = $1 AND expires_at > $2`,
} as const;

export class PostgresSyncCursorStore implements SyncCursorStore {
  private readonly saves = new Batcher<SyncCursorRecord>(async (cursors) => {
    // The same id saved twice in one batch: the later save wins, as it would one at a time.
    const batch = [...new Map(cursors.map((c) => [c.id, c])).values()];
    const earliest = Math.min(...batch.map((c) => c.createdAt.getTime()));
    await this.pool.query(SQL.saveSyncCursors, [
      batch.map((c) => c.id),
      batch.map((c) => c.userId),
      batch.map((c) => JSON.stringify(c.positions)),
      batch.map((c) => c.changesSince),
      batch.map((c) => c.createdAt),
      batch.map((c) => c.expiresAt),
      new Date(earliest),
      PURGE_PER_SAVE * batch.length,
    ]);
    return undefined;
  });

  constructor(private readonly pool: Pool) {}

  saveSyncCursor(cursor: SyncCursorRecord): Promise<void> {
    return this.saves.add(cursor);
  }

  async findSyncCursor(id: string, now: Date): Promise<SyncCursorRecord | null> {
    const { rows } = await this.pool.query<SyncCursorRow>(SQL.findSyncCursor, [id, now]);
    return rows[0] ? syncCursorFromRow(rows[0]) : null;
  }

  listSyncChanges(query: SyncChangesQuery): Promise<SyncChanges> {
    return listSyncChanges(this.pool, query);
  }
}
