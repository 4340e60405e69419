// Mention rules: which @username tokens a text holds and who of a conversation they resolve to.
import { mayMention, mentionedUsernames, resolveMentions } from '../../src/domain/mentions';

describe('mentions', () => {
  it('finds @usernames at a word start, lowercased, with trailing punctuation as a candidate', () => {
    expect(mentionedUsernames('hi @Alice and (@bob_1), mail carol@example.com')).toEqual([
      'alice',
      'bob_1',
    ]);
    expect(mentionedUsernames('thanks @dave.')).toEqual(['dave.', 'dave']);
    expect(mentionedUsernames('@@eve @x @')).toEqual([]);
    expect(mentionedUsernames(null)).toEqual([]);
  });

  it('reads participants only when there could be a mention', () => {
    expect(mayMention('plain text', [])).toBe(false);
    expect(mayMention(null, [])).toBe(false);
    expect(mayMention('a@b', [])).toBe(true);
    expect(mayMention(null, ['x'])).toBe(true);
  });

  it('keeps current participants other than the sender, once each', () => {
    const p = (userId: string, left = false) => ({ userId, leftAt: left ? new Date() : null });
    const names: Record<string, string> = { a: 'Alice', b: 'bob', c: 'carol', s: 'sam' };
    expect(
      resolveMentions(
        's',
        [p('s'), p('a'), p('b'), p('c', true)],
        ['b', 's', 'zz'],
        (id) => names[id],
        ['alice', 'carol', 'sam'],
      ),
    ).toEqual(['a', 'b']);
  });
});
