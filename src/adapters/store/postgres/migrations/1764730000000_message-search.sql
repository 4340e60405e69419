-- Message search (docs/PROTOCOL.md §5.14): each message's words as a tsvector, kept by the
-- database itself (a generated column), with a GIN index for searchMessages.
--
-- The `simple` configuration lowercases words and neither stems nor drops stop words, so any
-- language works and a term matches exactly the words the memory store's scan would (see
-- src/domain/message-search.ts). A deleted message's content is NULL, hence so is its vector:
-- it leaves the index. Adding a STORED generated column rewrites the table once; the send path
-- gains no statement (the row's vector is computed by the INSERT it already runs).

-- Up Migration

ALTER TABLE messages
  ADD COLUMN content_search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(content, ''))) STORED;

CREATE INDEX messages_content_search ON messages USING gin (content_search);

-- Down Migration

DROP INDEX IF EXISTS messages_content_search;
ALTER TABLE messages DROP COLUMN IF EXISTS content_search;
