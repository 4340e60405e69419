// How SYNC cursors are stored in PostgreSQL: one small row each (positions as jsonb). PostgreSQL
// has no TTL monitor, so each save also removes a few expired cursors, and reads check expiry.
import type { Pool } from 'pg';
import type { SyncCursorRecord, SyncCursorStore } from '../../../ports';
import {
  columns,
  SYNC_CURSOR_COLUMNS,
  syncCursorFromRow,
  type SyncCursorRow,
} from './postgres-mapping';

const COLS = columns(SYNC_CURSOR_COLUMNS);
/** Expired cursors a save removes: more than one, so deletion outpaces creation. */
const PURGE_PER_SAVE = 16;

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /**
   * Saves (or replaces) the cursor and, in the same statement, deletes up to a few cursors that
   * had expired by its creation time. SKIP LOCKED: concurrent saves never wait on each other's
   * purge, they just take different expired rows.
   */
  saveSyncCursor: `WITH purged AS (
      DELETE FROM sync_cursors WHERE id IN (
        SELECT id FROM sync_cursors WHERE expires_at <= $5::timestamptz AND id <> $1
        ORDER BY expires_at LIMIT ${PURGE_PER_SAVE}
        FOR UPDATE SKIP LOCKED
      )
    )
    INSERT INTO sync_cursors (${COLS}) VALUES ($1, $2, $3::jsonb, $4, $5, $6)
    ON CONFLICT (id) DO UPDATE SET
      user_id = EXCLUDED.user_id, positions = EXCLUDED.positions,
      changes_since = EXCLUDED.changes_since, created_at = EXCLUDED.created_at,
      expires_at = EXCLUDED.expires_at`,
  findSyncCursor: `SELECT ${COLS} FROM sync_cursors WHERE id = $1 AND expires_at > $2`,
} as const;

export class PostgresSyncCursorStore implements SyncCursorStore {
  constructor(private readonly pool: Pool) {}

  async saveSyncCursor(cursor: SyncCursorRecord): Promise<void> {
    await this.pool.query(SQL.saveSyncCursor, [
      cursor.id,
      cursor.userId,
      JSON.stringify(cursor.positions),
      cursor.changesSince,
      cursor.createdAt,
      cursor.expiresAt,
    ]);
  }

  async findSyncCursor(id: string, now: Date): Promise<SyncCursorRecord | null> {
    const { rows } = await this.pool.query<SyncCursorRow>(SQL.findSyncCursor, [id, now]);
    return rows[0] ? syncCursorFromRow(rows[0]) : null;
  }
}
