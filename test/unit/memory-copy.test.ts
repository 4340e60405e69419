// The embedded store's record copy: what comes out shares nothing mutable with what went in.
import { copy } from '../../src/adapters/store/memory/memory-state';

const aRecord = () => ({
  id: 'm1',
  seq: 3,
  deletedAt: null,
  updatedAt: undefined,
  createdAt: new Date('2030-01-01T00:00:00.000Z'),
  media: [{ url: 'https://x/a.png', size: 10 }],
  mentions: ['u1'],
  seen: { messageId: 'm0', seq: 2 },
});

it('copies nested objects, arrays and Dates, so mutating the copy leaves the original', () => {
  const original = aRecord();
  const c = copy(original);
  expect(c).toEqual(original);
  expect(Object.keys(c)).toEqual(Object.keys(original));
  c.createdAt.setTime(0);
  c.media[0]!.size = 99;
  c.mentions.push('u2');
  c.seen.seq = 9;
  expect(original).toEqual(aRecord());
});

it('falls back to structuredClone for anything but plain data', () => {
  const original = { positions: new Map([['c1', 4]]) };
  const c = copy(original);
  expect(c.positions).not.toBe(original.positions);
  expect(c.positions.get('c1')).toBe(4);
});
