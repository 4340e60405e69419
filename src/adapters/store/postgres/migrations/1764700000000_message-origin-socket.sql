-- The realtime socket a message was sent from, so live delivery can leave that socket out (it
-- got MESSAGE_ACK) even when the message reaches the fan-out by a store read — a gap filled
-- before its own event arrived, or an event the outbox relay republished. Nullable, no default:
-- adding it rewrites no row.

-- Up Migration

ALTER TABLE messages ADD COLUMN origin_socket_id text;

-- Down Migration

ALTER TABLE messages DROP COLUMN IF EXISTS origin_socket_id;
