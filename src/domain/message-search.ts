// Message search terms: what a query means, the same for every store. A query is the words in
// it (runs of letters, digits and combining marks), lowercased; a message matches when every
// term is one of the words of its content. That is what PostgreSQL's `simple` text search
// configuration, a MongoDB text index without a language, and the memory scan all agree on.
import { validationError } from './errors';

/** The longest query, in characters, after trimming. */
export const MAX_SEARCH_QUERY_LENGTH = 200;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The distinct lowercased words of a text, in order of first appearance. */
export function searchWordsOf(text: string): string[] {
  return [...new Set(text.toLowerCase().match(WORD) ?? [])];
}

/**
 * The terms of a query; a query with no word (only punctuation, say) is a VALIDATION error, as
 * it would otherwise match nothing or everything depending on the database.
 */
export function searchTermsOf(query: string): string[] {
  const terms = searchWordsOf(query);
  if (terms.length === 0) throw validationError('query.q: must contain a letter or a digit');
  return terms;
}

/** Whether the content has every term as one of its words (the memory store's scan). */
export function contentMatchesTerms(content: string | null, terms: readonly string[]): boolean {
  if (content === null) return false;
  const words = new Set(searchWordsOf(content));
  return terms.every((t) => words.has(t));
}
