-- Blocks: one user blocks another. A block is also mirrored onto both participant rows of the
-- pair's DIRECT (participants.blocked), because the send statement already reads the sender's
-- participant row by its primary key: refusing a blocked send then costs no extra read.
--
-- `blocked` is NOT NULL with a constant default, so adding it rewrites no row (PostgreSQL 11+).

-- Up Migration

CREATE TABLE blocks (
  -- Derived from the ordered pair (blockId): the primary key is the "one block per pair" rule.
  id parley_id PRIMARY KEY,
  blocker_id parley_id NOT NULL,
  blocked_id parley_id NOT NULL,
  blocked_at timestamptz NOT NULL,
  CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
-- listBlocksByBlocker: the caller's blocks newest first, a (blocked_at, id) keyset; findBlock
-- and deleteBlock go by the primary key.
CREATE INDEX blocks_by_blocker ON blocks (blocker_id, blocked_at DESC, id DESC);
-- listBlockerIds: who blocks a user (their user search leaves those out).
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

ALTER TABLE participants ADD COLUMN blocked boolean NOT NULL DEFAULT false;

-- Down Migration

ALTER TABLE participants DROP COLUMN IF EXISTS blocked;
DROP TABLE IF EXISTS blocks;
