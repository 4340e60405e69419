-- Mentions: the users a message mentions (current participants when it was written or edited),
-- so an unread-mention count is a count over the history like the unread count, never a counter.
--
-- NOT NULL with a constant default: adding it rewrites no row (PostgreSQL 11+). Plain text[]
-- rather than parley_id[]: the application only ever stores participants' ids in it.

-- Up Migration

ALTER TABLE messages ADD COLUMN mentions text[] NOT NULL DEFAULT '{}';

-- countMentionsAfter: only live messages that mention someone are indexed, by position, with
-- who they mention and who sent them, so the count is an index-only scan of those few rows.
CREATE INDEX messages_live_mentions ON messages (conversation_id, seq) INCLUDE (sender_id, mentions)
  WHERE deleted_at IS NULL AND cardinality(mentions) > 0;

-- Down Migration

DROP INDEX IF EXISTS messages_live_mentions;
ALTER TABLE messages DROP COLUMN IF EXISTS mentions;
