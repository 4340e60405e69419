// ExpirySchedule: one timer for every socket's token expiry, on jest's fake clock (Date.now and
// setTimeout move together).
import { ExpirySchedule } from '../../src/realtime/token-expiry';

interface Member {
  name: string;
}

function schedule(): { expiry: ExpirySchedule<Member>; expired: string[] } {
  const expired: string[] = [];
  const expiry = new ExpirySchedule<Member>((m) => {
    expired.push(m.name);
  });
  return { expiry, expired };
}

const inMs = (ms: number): Date => new Date(Date.now() + ms);

describe('ExpirySchedule', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('calls each member once, at its own expiry and not before', () => {
    const { expiry, expired } = schedule();
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    expiry.schedule(b, inMs(2000));
    expiry.schedule(a, inMs(1000));
    expiry.schedule(c, inMs(2000));
    jest.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(999);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'b', 'c']);
    jest.advanceTimersByTime(60_000);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('calls at once for an expiry already passed, and never for none', () => {
    const { expiry, expired } = schedule();
    expiry.schedule({ name: 'past' }, inMs(0));
    expiry.schedule({ name: 'never' }, null);
    expect(expired).toEqual(['past']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('moves a rescheduled member, earlier or later, and forgets a cleared one', () => {
    const { expiry, expired } = schedule();
    const [later, earlier, gone, other] = ['later', 'earlier', 'gone', 'other'].map((name) => ({
      name,
    })) as [Member, Member, Member, Member];
    for (const m of [later, earlier, gone, other]) expiry.schedule(m, inMs(1000));
    expiry.schedule(later, inMs(5000));
    expiry.schedule(earlier, inMs(500));
    expiry.clear(gone);
    expiry.clear(gone);
    jest.advanceTimersByTime(500);
    expect(expired).toEqual(['earlier']);
    jest.advanceTimersByTime(500);
    expect(expired).toEqual(['earlier', 'other']);
    jest.advanceTimersByTime(4000);
    expect(expired).toEqual(['earlier', 'other', 'later']);
  });

  it('stops its timer once nothing is scheduled', () => {
    const { expiry, expired } = schedule();
    const m = { name: 'm' };
    expiry.schedule(m, inMs(1000));
    expiry.clear(m);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('waits past the longest setTimeout delay in steps', () => {
    const { expiry, expired } = schedule();
    const days30 = 30 * 24 * 3600 * 1000;
    expiry.schedule({ name: 'far' }, inMs(days30));
    jest.advanceTimersByTime(2_147_483_647);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(days30 - 2_147_483_647);
    expect(expired).toEqual(['far']);
  });

  it('lets a member due now leave during the call without disturbing the others', () => {
    const expired: string[] = [];
    const expiry: ExpirySchedule<Member> = new ExpirySchedule<Member>((m) => {
      expired.push(m.name);
      // As the socket's disconnect listener does.
      expiry.clear(m);
    });
    for (const name of ['x', 'y', 'z']) expiry.schedule({ name }, inMs(1000));
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['x', 'y', 'z']);
  });
});
