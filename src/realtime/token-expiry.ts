// A realtime connection lives no longer than its token: each socket is due at its token's `exp`,
// and REFRESH_TOKEN {token} (a valid token of the same user) moves it. Both transports share this
// through the Socket.IO server, which sees raw and Socket.IO clients alike. One timer serves every
// socket of the node (a timer and its closure per socket cost ~0.4 KiB of each idle connection):
// sockets due at the same instant (JWT `exp` has whole-second precision) share one bucket.
import type { AuthService } from '../app/auth-service';
import { AppError } from '../domain/errors';
import { clientFrameSchemas, frame, type ServerFrame } from '../protocol/frames';

/** setTimeout's largest delay (~24.8 days); longer expiries re-arm in steps. */
const MAX_TIMER_MS = 2_147_483_647;

interface Bucket<T> {
  at: number;
  members: Set<T>;
}

/**
 * Calls `onExpired(member)` once, when the member's scheduled expiry passes. `onExpired` must not
 * throw: the members due after the one it threw for would never be called.
 */
export class ExpirySchedule<T extends object> {
  private readonly buckets = new Map<number, Bucket<T>>();
  private readonly bucketOf = new WeakMap<T, Bucket<T>>();
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (null: none armed). */
  private armedAt: number | null = null;

  constructor(private readonly onExpired: (member: T) => void) {}

  /**
   * (Re)schedules `member` for `expiresAt`; null means its token never expires. An expiry that
   * has passed calls `onExpired` at once.
   */
  schedule(member: T, expiresAt: Date | null): void {
    this.clear(member);
    if (!expiresAt) return;
    const at = expiresAt.getTime();
    if (at <= Date.now()) {
      this.onExpired(member);
      return;
    }
    let bucket = this.buckets.get(at);
    if (!bucket) {
      bucket = { at, members: new Set() };
      this.buckets.set(at, bucket);
    }
    bucket.members.add(member);
    this.bucketOf.set(member, bucket);
    if (this.armedAt === null || at < this.armedAt) this.arm();
  }

  /** Forgets `member` (on disconnect); its expiry no longer fires. */
  clear(member: T): void {
    const bucket = this.bucketOf.get(member);
    if (!bucket) return;
    this.bucketOf.delete(member);
    bucket.members.delete(member);
    if (bucket.members.size === 0) this.buckets.delete(bucket.at);
    // The armed timer may now fire for nothing; it then re-arms for what is left (or stops).
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = null;
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of this.buckets.keys()) if (at < earliest) earliest = at;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const delay = Math.max(0, earliest - Date.now());
    this.armedAt = earliest;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.armedAt = null;
        this.fire();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    // The sockets keep the process busy while it matters; the timer alone must not.
    this.timer.unref();
  }

  private fire(): void {
    const now = Date.now();
    const due: Bucket<T>[] = [];
    for (const bucket of this.buckets.values()) if (bucket.at <= now) due.push(bucket);
    for (const bucket of due) {
      this.buckets.delete(bucket.at);
      for (const member of bucket.members) this.bucketOf.delete(member);
    }
    this.arm();
    for (const bucket of due) for (const member of bucket.members) this.onExpired(member);
  }
}

/**
 * Handles REFRESH_TOKEN for the socket of `userId`: a valid token of the same user reschedules
 * the expiry (through `reschedule`) and answers TOKEN_REFRESHED; anything else is an
 * UNAUTHORIZED error (thrown) and leaves the old expiry in place.
 */
export async function refreshToken(
  auth: Pick<AuthService, 'authenticateWithExpiry'>,
  reschedule: (expiresAt: Date | null) => void,
  userId: string,
  payload: unknown,
): Promise<ServerFrame> {
  const parsed = clientFrameSchemas.REFRESH_TOKEN.safeParse(payload);
  if (!parsed.success) throw new AppError('VALIDATION', 'REFRESH_TOKEN needs a string token');
  // A bad token is UNAUTHORIZED from here; a store outage stays UNAVAILABLE.
  const refreshed = await auth.authenticateWithExpiry(parsed.data.token);
  // A token of someone else would silently turn this connection into theirs.
  if (refreshed.user.id !== userId) {
    throw new AppError('UNAUTHORIZED', 'the new token names another user');
  }
  reschedule(refreshed.expiresAt);
  return frame('TOKEN_REFRESHED', { expiresAt: refreshed.expiresAt?.toISOString() ?? null });
}
