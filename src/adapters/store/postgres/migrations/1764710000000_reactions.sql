-- Reactions: one row per (message, user, emoji), keyed by an id derived from that key
-- (src/domain/ids.ts reactionId), so a repeated reaction collides on the primary key. A removal
-- keeps the row as a tombstone (removed_at) so SYNC can report it; a new reaction revives it.
-- No foreign keys, as in the initial schema: the store contract writes reactions of messages it
-- never stored, and the service checks the message before every write.

-- Up Migration

CREATE TABLE message_reactions (
  id parley_id PRIMARY KEY,
  message_id parley_id NOT NULL,
  conversation_id parley_id NOT NULL,
  -- The message's seq, so reaction frames and SYNC need not read the message.
  message_seq bigint NOT NULL,
  user_id parley_id NOT NULL,
  -- Bounded by the application (domain/reactions.ts); the check keeps a bug from storing a novel.
  emoji text NOT NULL CHECK (char_length(emoji) BETWEEN 1 AND 32),
  created_at timestamptz NOT NULL,
  changed_at timestamptz NOT NULL,
  removed_at timestamptz
);

-- listReactionsOfMessages: the reactions in place on a page of messages (tombstones left out).
CREATE INDEX message_reactions_by_message ON message_reactions (message_id)
  WHERE removed_at IS NULL;
-- listReactionChangesSince (SYNC): additions and removals in the user's conversations after a time.
CREATE INDEX message_reactions_changes ON message_reactions (conversation_id, changed_at, id);

-- Down Migration

DROP TABLE IF EXISTS message_reactions;
