// How users are stored in PostgreSQL: one row per user, the id derived from the lowercased name
// (so the primary key makes usernames unique), plus the lowercased name as the search key.
import type { Pool } from 'pg';
import type { User } from '../../../domain/types';
import type { UserStore } from '../../../ports';
import { columns, USER_COLUMNS, userFromRow, type UserRow } from './postgres-mapping';

const COLS = columns(USER_COLUMNS);

/** Every statement this part runs, exported so tests can EXPLAIN exactly these. */
export const SQL = {
  insertUser: `INSERT INTO users (${COLS}, username_lower) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT DO NOTHING`,
  findUserById: `SELECT ${COLS} FROM users WHERE id = $1`,
  /** In the order asked for (unknown ids skipped), like the other stores. */
  findUsersByIds: `SELECT ${columns(USER_COLUMNS, 'u')}
    FROM unnest($1::text[]) WITH ORDINALITY AS wanted (id, ord)
    JOIN users u ON u.id = wanted.id
    ORDER BY wanted.ord`,
  /** $1 is an escaped, lowercased LIKE pattern (see likeContaining). */
  searchUsers: `SELECT ${COLS} FROM users
    WHERE username_lower LIKE $1 ESCAPE '\\' AND id <> $2
    ORDER BY username LIMIT $3`,
  setUserLastActive: `UPDATE users SET last_active_at = $2 WHERE id = $1`,
} as const;

/** A LIKE pattern matching `text` literally anywhere: the pattern characters are escaped. */
export const likeContaining = (text: string): string =>
  `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class PostgresUserStore implements UserStore {
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

  async findUserById(id: string): Promise<User | null> {
    const { rows } = await this.pool.query<UserRow>(SQL.findUserById, [id]);
    return rows[0] ? userFromRow(rows[0]) : null;
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

  async setUserLastActive(id: string, at: Date): Promise<void> {
    await this.pool.query(SQL.setUserLastActive, [id, at]);
  }
}
