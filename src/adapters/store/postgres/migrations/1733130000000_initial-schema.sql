-- Parley's PostgreSQL schema: the Store port's five aggregates as five tables.
--
-- Ids are the domain's 24-hex ObjectId-shaped strings (src/domain/ids.ts), kept as text in the
-- "C" collation: byte order is the order the domain compares ids in (tie-breaks), and "C"
-- comparisons are the cheapest. Times are timestamptz: JS Dates have millisecond precision and
-- PostgreSQL keeps microseconds, so every value written from JS reads back exactly.
--
-- Foreign keys: only conversations.created_by -> users, the one reference the application always
-- satisfies (the creator is an authenticated, stored user) and that costs nothing on the hot path
-- (a conversation is created once). The others are absent on purpose:
--   * messages.conversation_id, participants.conversation_id / user_id, messages.sender_id,
--     sync_cursors.user_id: the store contract (test/contract/store-contract.ts) writes messages
--     of unknown conversations and participants of unknown users and conversations; on the send
--     path the message's conversation is guaranteed anyway, because appendMessage inserts the
--     message FROM the conversation row it has just updated (no row, no message).
--   * conversations.last_message_id, participants.seen_/delivered_message_id,
--     messages.reply_to_message_id: a reserved seq whose send crashed leaves a preview naming a
--     message that never existed, and watermarks and replies may name ids not stored here.

-- Up Migration

CREATE DOMAIN parley_id AS text COLLATE "C"
  CHECK (VALUE ~ '^[0-9a-f]{24}$');

CREATE TABLE users (
  id parley_id PRIMARY KEY,
  username text COLLATE "C" NOT NULL,
  -- The search key, lowercased by the application (JS toLowerCase, like the needle). Not UNIQUE:
  -- the id is derived from the lowercased username (userIdForUsername), so the primary key is
  -- what makes usernames unique, in every store alike.
  username_lower text COLLATE "C" NOT NULL,
  avatar_url text,
  password_hash text,
  created_at timestamptz NOT NULL,
  last_active_at timestamptz
);
-- searchUsers, ordered by username: when the needle matches many users (a short one), walking
-- this index in order and stopping at the limit is the cheapest plan. Selective needles use the
-- trigram index created at the end.
CREATE INDEX users_username ON users (username);

CREATE TABLE conversations (
  -- A DIRECT conversation's id is derived from its unordered user pair (directConversationId),
  -- so this primary key is the "one DIRECT conversation per pair" constraint: the pair itself is
  -- not part of the conversation record the port hands over, so it is not stored as columns.
  id parley_id PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('DIRECT', 'GROUP')),
  name text,
  avatar_url text,
  created_by parley_id REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_message_id parley_id,
  last_message_content text,
  last_message_at timestamptz,
  -- The seq allocator: every send increments it in the same statement that inserts the message.
  last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  emitted_seq bigint NOT NULL DEFAULT 0 CHECK (emitted_seq >= 0)
);
-- No index on (updated_at, id): listConversationsOfUser starts from the user's memberships
-- (participants_current_by_user) and sorts those few; an index on updated_at would be rewritten
-- by every send and keep the send's conversation update from being a HOT update.

CREATE TABLE participants (
  conversation_id parley_id NOT NULL,
  user_id parley_id NOT NULL,
  role text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER')),
  joined_at timestamptz NOT NULL,
  left_at timestamptz,
  joined_seq bigint NOT NULL DEFAULT 0 CHECK (joined_seq >= 0),
  seen_message_id parley_id,
  seen_seq bigint,
  delivered_message_id parley_id,
  delivered_seq bigint,
  receipts_at timestamptz,
  -- findParticipant, upsertParticipant's conflict target, every per-pair update, listParticipants' scan.
  CONSTRAINT participants_pkey PRIMARY KEY (conversation_id, user_id),
  CONSTRAINT participants_seen_whole CHECK ((seen_message_id IS NULL) = (seen_seq IS NULL)),
  CONSTRAINT participants_delivered_whole
    CHECK ((delivered_message_id IS NULL) = (delivered_seq IS NULL))
);
-- listConversationsOfUser: the user's current memberships.
CREATE INDEX participants_current_by_user ON participants (user_id, conversation_id)
  WHERE left_at IS NULL;
-- listConversationsLeftSince.
CREATE INDEX participants_left_by_user ON participants (user_id, left_at)
  WHERE left_at IS NOT NULL;
-- listParticipants (by join time) and the joins half of listMembershipChangesSince.
CREATE INDEX participants_joined ON participants (conversation_id, joined_at, user_id);
-- The departures half of listMembershipChangesSince.
CREATE INDEX participants_left ON participants (conversation_id, left_at)
  WHERE left_at IS NOT NULL;
-- listReceiptsChangedSince.
CREATE INDEX participants_receipts ON participants (conversation_id, receipts_at)
  WHERE receipts_at IS NOT NULL;

CREATE TABLE messages (
  id parley_id NOT NULL,
  conversation_id parley_id NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  sender_id parley_id NOT NULL,
  content text,
  type text NOT NULL CHECK (type IN ('TEXT', 'IMAGE', 'VIDEO', 'MIXED')),
  -- [{url, type, thumbnail_url?, width?, height?, duration?}]: optional keys absent when unset.
  media jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(media) = 'array'),
  reply_to_message_id parley_id,
  temp_id text,
  body_hash text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz,
  deleted_at timestamptz,
  changed_at timestamptz NOT NULL,
  -- The outbox, on the message row itself: true until the `message.sent` event reached the
  -- broker, so the message and its pending event are one row written by one statement.
  event_pending boolean NOT NULL DEFAULT true,
  -- Until when an outbox relay holds the right to republish the pending event.
  event_claimed_until timestamptz,
  -- findMessage, updateMessage, the outbox claims; a repeated send collides here.
  CONSTRAINT messages_pkey PRIMARY KEY (id),
  -- The idempotency key is scoped to the sender (NULL temp ids never collide).
  CONSTRAINT messages_sender_temp_id_key UNIQUE (sender_id, temp_id),
  -- One message per position: pages (listMessagesBefore/After) walk this index.
  CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq)
);
-- countMessagesAfter (unread counts): an index-only scan over the live messages after a seq.
CREATE INDEX messages_live_by_seq ON messages (conversation_id, seq) INCLUDE (sender_id)
  WHERE deleted_at IS NULL;
-- listMessageEditsSince: only edited or deleted messages, in (changed_at, id) order.
CREATE INDEX messages_edits ON messages (conversation_id, changed_at, id)
  WHERE updated_at IS NOT NULL OR deleted_at IS NOT NULL;
-- listPendingMessageEvents and countPendingMessageEvents: only the few pending events.
CREATE INDEX messages_pending_events ON messages (created_at, seq, id)
  WHERE event_pending;

CREATE TABLE sync_cursors (
  id parley_id PRIMARY KEY,
  user_id parley_id NOT NULL,
  -- conversation id -> highest seq the holder has.
  positions jsonb NOT NULL CHECK (jsonb_typeof(positions) = 'object'),
  changes_since timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
-- No TTL monitor here: each save removes a few expired cursors, found by this index.
CREATE INDEX sync_cursors_expiry ON sync_cursors (expires_at);

-- searchUsers, selective needles: a substring match (LIKE '%…%') only a trigram index serves.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, but a server may lack it or
-- the role may not be allowed to create it: then selective searches walk users_username instead,
-- and everything else is unaffected.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION
    WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
      RAISE NOTICE 'pg_trgm unavailable (%): user search walks users_username', SQLERRM;
      RETURN;
  END;
  EXECUTE 'CREATE INDEX users_username_trgm ON users USING gin (username_lower gin_trgm_ops)';
END
$$;

-- Down Migration

DROP TABLE IF EXISTS sync_cursors;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS participants;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS users;
DROP DOMAIN IF EXISTS parley_id;
