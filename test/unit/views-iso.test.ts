// iso(): the presenters' time text, from a small table of recent results. It must give exactly
// what Date#toISOString gives, whatever was asked before (times sharing a slot, repeats, dates
// mutated in place), and refuse an invalid date the same way.
import fc from 'fast-check';
import { iso, isoOrNull } from '../../src/app/views';

describe('iso', () => {
  it('equals toISOString for any sequence of times, repeats and slot collisions included', () => {
    const time = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      // Near one another: the same slot (256 ms apart) and the same millisecond, often.
      fc.integer({ min: 0, max: 4 }).map((k) => 1_790_000_000_000 + k * 256),
      fc.integer({ min: 0, max: 3 }).map((k) => 1_790_000_000_000 + k),
    );
    fc.assert(
      fc.property(fc.array(time, { maxLength: 40 }), (times) => {
        for (const t of times) expect(iso(new Date(t))).toBe(new Date(t).toISOString());
      }),
    );
  });

  it('reads a date changed in place anew', () => {
    const d = new Date('2031-05-06T07:08:09.010Z');
    expect(iso(d)).toBe('2031-05-06T07:08:09.010Z');
    d.setUTCFullYear(2032);
    expect(iso(d)).toBe('2032-05-06T07:08:09.010Z');
  });

  it('throws for an invalid date, as toISOString does, and leaves null to isoOrNull', () => {
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError);
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });
});
