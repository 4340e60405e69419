// How pins are stored in PostgreSQL: table message_pins, one row per (conversation, message);
// every operation is one statement (pinning again revives a tombstone in the insert itself).
import type { Pool } from 'pg';
import { pinId, type Pin } from '../../../domain/pins';
import type { PinStore } from '../../../ports';

const COLS =
  'id, conversation_id, message_id, pinned_by, pinned_at, unpinned_at, unpinned_by, changed_at';

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  /** Inserts the pin, or revives a tombstone; a row still pinned is left as it is (no row back). */
  pinMessage: `INSERT INTO message_pins (${COLS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)
    ON CONFLICT (id) DO UPDATE SET
      pinned_by = EXCLUDED.pinned_by, pinned_at = EXCLUDED.pinned_at,
      unpinned_at = NULL, unpinned_by = NULL, changed_at = EXCLUDED.changed_at
    WHERE message_pins.unpinned_at IS NOT NULL`,
  unpinMessage: `UPDATE message_pins SET unpinned_at = $2, unpinned_by = $3, changed_at = $2
    WHERE id = $1 AND unpinned_at IS NULL`,
  findPin: `SELECT ${COLS} FROM message_pins WHERE id = $1`,
  listPins: `SELECT ${COLS} FROM message_pins
    WHERE conversation_id = $1 AND unpinned_at IS NULL
    ORDER BY pinned_at DESC, id DESC LIMIT $2`,
  listPinChangesSince: `SELECT ${COLS} FROM message_pins
    WHERE conversation_id = ANY($1::text[]) AND changed_at > $2
    ORDER BY changed_at, id LIMIT $3`,
} as const;

export interface PinRow {
  id: string;
  conversation_id: string;
  message_id: string;
  pinned_by: string;
  pinned_at: Date;
  unpinned_at: Date | null;
  unpinned_by: string | null;
  changed_at: Date;
}

export const pinFromRow = (r: PinRow): Pin => ({
  id: r.id,
  conversationId: r.conversation_id,
  messageId: r.message_id,
  pinnedBy: r.pinned_by,
  pinnedAt: r.pinned_at,
  unpinnedAt: r.unpinned_at,
  unpinnedBy: r.unpinned_by,
  changedAt: r.changed_at,
});

export class PostgresPinStore implements PinStore {
  constructor(private readonly pool: Pool) {}

  async pinMessage(pin: Pin): Promise<boolean> {
    const result = await this.pool.query(SQL.pinMessage, [
      pin.id,
      pin.conversationId,
      pin.messageId,
      pin.pinnedBy,
      pin.pinnedAt,
      pin.changedAt,
    ]);
    return result.rowCount === 1;
  }

  async unpinMessage(
    conversationId: string,
    messageId: string,
    userId: string,
    at: Date,
  ): Promise<boolean> {
    const result = await this.pool.query(SQL.unpinMessage, [
      pinId(conversationId, messageId),
      at,
      userId,
    ]);
    return result.rowCount === 1;
  }

  async findPin(conversationId: string, messageId: string): Promise<Pin | null> {
    const { rows } = await this.pool.query<PinRow>(SQL.findPin, [pinId(conversationId, messageId)]);
    return rows[0] ? pinFromRow(rows[0]) : null;
  }

  async listPins(conversationId: string, limit: number): Promise<Pin[]> {
    const { rows } = await this.pool.query<PinRow>(SQL.listPins, [conversationId, limit]);
    return rows.map(pinFromRow);
  }

  async listPinChangesSince(
    conversationIds: readonly string[],
    since: Date,
    limit: number,
  ): Promise<Pin[]> {
    if (conversationIds.length === 0) return [];
    const { rows } = await this.pool.query<PinRow>(SQL.listPinChangesSince, [
      conversationIds,
      since,
      limit,
    ]);
    return rows.map(pinFromRow);
  }
}
