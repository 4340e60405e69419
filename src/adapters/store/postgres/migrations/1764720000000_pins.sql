-- Pins: one row per (conversation, message), its id derived from that key (domain/pins.ts), so a
-- repeated pin collides on the primary key. Unpinning keeps the row as a tombstone (unpinned_at)
-- so SYNC can report the unpin. A new table: no existing row is rewritten.

-- Up Migration

CREATE TABLE message_pins (
  id parley_id NOT NULL,
  conversation_id parley_id NOT NULL,
  message_id parley_id NOT NULL,
  pinned_by parley_id NOT NULL,
  pinned_at timestamptz NOT NULL,
  unpinned_at timestamptz,
  unpinned_by parley_id,
  changed_at timestamptz NOT NULL,
  -- pinMessage's conflict target, unpinMessage, findPin.
  CONSTRAINT message_pins_pkey PRIMARY KEY (id),
  CONSTRAINT message_pins_unpin_whole CHECK ((unpinned_at IS NULL) = (unpinned_by IS NULL))
);
-- listPins: a conversation's pinned rows, newest pin first (tombstones are not indexed).
CREATE INDEX message_pins_pinned ON message_pins (conversation_id, pinned_at DESC, id DESC)
  WHERE unpinned_at IS NULL;
-- listPinChangesSince (SYNC): these conversations' pins and unpins after a time.
CREATE INDEX message_pins_changes ON message_pins (conversation_id, changed_at, id);

-- Down Migration

DROP TABLE IF EXISTS message_pins;
