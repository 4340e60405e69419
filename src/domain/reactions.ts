// Reactions: what an emoji may be, how a message's reactions add up, and the bounds that keep a
// message from growing without limit.
import type { Reaction } from './types';

/** UTF-16 units an emoji may take (a flag or a skin-toned ZWJ family fits in well under it). */
export const MAX_EMOJI_UNITS = 32;
/** Grapheme clusters an emoji may take: one emoji, or a short shortcode-like token. */
export const MAX_EMOJI_GRAPHEMES = 8;
/** Distinct emojis one message may carry; a new one past it is refused (users may still join one). */
export const MAX_DISTINCT_EMOJIS = 50;

// Whitespace, control characters, lone surrogates, private-use and unassigned code points. Format
// characters (ZWJ) and variation selectors are allowed: emoji sequences are built from them.
const FORBIDDEN = /[\s\p{Cc}\p{Cs}\p{Co}\p{Cn}]/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Why `emoji` is not an acceptable reaction, or null when it is. */
export function emojiProblem(emoji: string): string | null {
  if (emoji.length === 0) return 'must not be empty';
  if (emoji.length > MAX_EMOJI_UNITS) return `must be at most ${MAX_EMOJI_UNITS} UTF-16 units`;
  if (FORBIDDEN.test(emoji)) return 'must not contain whitespace or control characters';
  if ([...graphemes.segment(emoji)].length > MAX_EMOJI_GRAPHEMES)
    return `must be at most ${MAX_EMOJI_GRAPHEMES} characters`;
  return null;
}

export interface ReactionCount {
  emoji: string;
  count: number;
  /** Whether the viewer is among those who reacted with it. */
  me: boolean;
}

/**
 * A message's reactions added up per emoji, in the order each emoji was first (still) used, ties
 * by emoji; `viewerId` decides `me`. Removed records are left out.
 */
export function aggregateReactions(
  records: readonly Reaction[],
  viewerId: string | null,
): ReactionCount[] {
  const byEmoji = new Map<string, { count: number; me: boolean; first: number }>();
  for (const r of records) {
    if (r.removedAt !== null) continue;
    const entry = byEmoji.get(r.emoji) ?? { count: 0, me: false, first: Infinity };
    entry.count += 1;
    entry.me ||= r.userId === viewerId;
    entry.first = Math.min(entry.first, r.createdAt.getTime());
    byEmoji.set(r.emoji, entry);
  }
  return [...byEmoji.entries()]
    .sort(([ea, a], [eb, b]) => a.first - b.first || (ea < eb ? -1 : ea > eb ? 1 : 0))
    .map(([emoji, { count, me }]) => ({ emoji, count, me }));
}

/** Reactions of many messages, grouped by message id (messages without any are absent). */
export function groupByMessage(records: readonly Reaction[]): Map<string, Reaction[]> {
  const out = new Map<string, Reaction[]>();
  for (const r of records) {
    const list = out.get(r.messageId);
    if (list) list.push(r);
    else out.set(r.messageId, [r]);
  }
  return out;
}
