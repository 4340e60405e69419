-- Mutes: a participant mutes a conversation for themself, until undone or until a time.
--
-- `muted` is NOT NULL with a constant default, so adding it rewrites no row (PostgreSQL 11+).
-- No id columns are added, so the parley_id domain of the initial migration is not involved.

-- Up Migration

ALTER TABLE participants
  ADD COLUMN muted boolean NOT NULL DEFAULT false,
  ADD COLUMN muted_until timestamptz,
  ADD COLUMN mute_changed_at timestamptz,
  -- An end only belongs to a mute in force.
  ADD CONSTRAINT participants_mute_until_muted CHECK (muted OR muted_until IS NULL);

-- listMuteChangesSince (SYNC): the user's own records whose mute changed after a time. Only
-- records ever muted or unmuted are indexed.
CREATE INDEX participants_mute_by_user ON participants (user_id, mute_changed_at)
  WHERE mute_changed_at IS NOT NULL;

-- Down Migration

DROP INDEX IF EXISTS participants_mute_by_user;
ALTER TABLE participants
  DROP CONSTRAINT IF EXISTS participants_mute_until_muted,
  DROP COLUMN IF EXISTS mute_changed_at,
  DROP COLUMN IF EXISTS muted_until,
  DROP COLUMN IF EXISTS muted;
