// How users are stored in PostgreSQL: one row per user, the id derived from the lowercased name
// (so the primary key makes usernames unique), plus the lowercased name as the search key.
// Reads of one user and last-active stamps are grouped per tick (group commit): every connection
// reads its user and every disconnect stamps one, and in a reconnect storm those thousands of
// one-row statements were a fifth of the database traffic, each costing a round trip.
import type { Pool } from 'pg';
import { Batcher } from '../../../app/batcher';
import type { User } from '../../../domain/types';
import type { UserStore } from '../../../ports';
import { columns, ownCopy, USER_COLUMNS, userFromRow, type UserRow } from './postgres-mapping';

const COLS = columns(USER_COLUMNS);

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  insertUser: `INSERT INTO users (${COLS}, username_lower) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT DO NOTHING`,
  /** In the order asked for (unknown ids skipped), like the other stores. */
  findUsersByIds: `SELECT ${columns(USER_COLUMNS, 'u')}
    FROM unnest($1::text[]) WITH ORDINALITY AS wanted (id, ord)
    JOIN users u ON u.id = wanted.id
    ORDER BY wanted.ord`,
  /** $1 is an escaped, lowercased LIKE pattern (see likeContaining). */
  searchUsers: `SELECT ${COLS} FROM users
    WHERE username_lower LIKE $1 ESCAPE '\\' AND id <> $2
    ORDER BY username LIMIT $3`,
  /**
   * Stamps a batch of users ($1 ids, each once, $2 times). The rows are locked in id order
   * first, so two nodes' batches never deadlock on each other.
   */
  setUsersLastActive: `WITH v AS (
      SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS v (id, at)
    ), locked AS (
      SELECT u.id FROM users u JOIN v ON v.id = u.id ORDER BY u.id FOR UPDATE OF u
    )
    UPDATE users u SET last_active_at = v.at FROM v, locked
    WHERE u.id = v.id AND locked.id = v.id`,
} as const;

/** A LIKE pattern matching `text` literally anywhere: the pattern characters are escaped. */
export const likeContaining = (text: string): string =>
  `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

interface LastActive {
  id: string;
  at: Date;
}

export class PostgresUserStore implements UserStore {
  private readonly reads = new Batcher<string, User | null>(async (ids) => {
    const found = new Map(
      (await this.findUsersByIds([...new Set(ids)])).map((u) => [u.id, u] as const),
    );
    // Each caller gets a record of its own, as from a read of its own.
    const handed = new Set<User>();
    return ids.map((id) => {
      const user = found.get(id);
      return user ? ownCopy(user, handed) : null;
    });
  });

  private readonly stamps = new Batcher<LastActive>(async (batch) => {
    // One user stamped twice in a batch: the later stamp wins, as it would one at a time.
    const latest = [...new Map(batch.map((s) => [s.id, s.at] as const))];
    await this.pool.query(SQL.setUsersLastActive, [
      latest.map(([id]) => id),
      latest.map(([, at]) => at),
    ]);
    return undefined;
  });

  constructor(private readonly pool: Pool) {}

  async insertUser(user: User): Promise<boolean> {
    const result = await this.pool.query(SQL.insertUser, [
      user.id,
      user.username,
      user.avatarUrl,
      user.passwordHash,
      user.createdAt,
      user.lastActiveAt,
      user.username.toLowerCase(),
    ]);
    return result.rowCount === 1;
  }

  findUserById(id: string): Promise<User | null> {
    return this.reads.add(id);
  }

  async findUsersByIds(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<UserRow>(SQL.findUsersByIds, [ids]);
    return rows.map(userFromRow);
  }

  async searchUsers(text: string, excludeUserId: string, limit: number): Promise<User[]> {
    // Lowercased here, as the stored key was (JS toLowerCase, not the server's lower()).
    const { rows } = await this.pool.query<UserRow>(SQL.searchUsers, [
      likeContaining(text.toLowerCase()),
      excludeUserId,
      limit,
    ]);
    return rows.map(userFromRow);
  }

  setUserLastActive(id: string, at: Date): Promise<void> {
    return this.stamps.add({ id, at });
  }
}
