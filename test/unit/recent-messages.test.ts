// RecentMessages: which ranges it can answer for, and when it must send the caller to the store.
import { RecentMessages } from '../../src/app/recent-messages';
import { aMessage } from '../support/factories';

const inC = (seq: number) => aMessage('c', 'u1', { seq });
const seqs = (found: { seq: number }[] | null) => found?.map((m) => m.seq) ?? null;

it('answers a range of consecutive emitted messages, and nothing it has not seen whole', () => {
  const recent = new RecentMessages(5);
  recent.noteEmitted('c', [inC(1), inC(2)]);
  recent.noteEmitted('c', [inC(3)]);
  recent.noteEmitted('c', [inC(2)]); // a redelivery changes nothing
  expect(seqs(recent.covering('c', 0, 3))).toEqual([1, 2, 3]);
  expect(seqs(recent.covering('c', 1, 2))).toEqual([2]);
  expect(recent.covering('c', 2, 4)).toBeNull(); // 4 not emitted here (yet)
  expect(recent.covering('other', 0, 1)).toBeNull();
  // A gap (a hole passed over, or events this node never saw): only what follows it counts.
  recent.noteEmitted('c', [inC(6), inC(7)]);
  expect(recent.covering('c', 2, 7)).toBeNull();
  expect(seqs(recent.covering('c', 5, 7))).toEqual([6, 7]);
  // Bounded per conversation: the oldest go first.
  recent.noteEmitted('c', [8, 9, 10, 11].map(inC));
  expect(recent.covering('c', 5, 11)).toBeNull();
  expect(seqs(recent.covering('c', 6, 11))).toEqual([7, 8, 9, 10, 11]);
});

it('keeps a deletion it is told of, and forgets the least recently used conversation first', () => {
  const recent = new RecentMessages(10, 2);
  const m = inC(1);
  recent.noteEmitted('c', [m]);
  recent.noteDeleted('c', m.id, new Date(5));
  expect(recent.covering('c', 0, 1)?.[0]?.deletedAt).toEqual(new Date(5));
  recent.noteEmitted('d', [aMessage('d', 'u1', { seq: 1 })]);
  recent.noteEmitted('c', [inC(2)]);
  recent.noteEmitted('e', [aMessage('e', 'u1', { seq: 1 })]);
  expect(recent.covering('d', 0, 1)).toBeNull();
  expect(seqs(recent.covering('c', 0, 2))).toEqual([1, 2]);
});
