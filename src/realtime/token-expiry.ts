// A realtime connection lives no longer than its token: each socket gets a timer for the token's
// `exp`, and REFRESH_TOKEN {token} (a valid token of the same user) moves it. Both transports
// share this through the Socket.IO server, which sees raw and Socket.IO clients alike.
import type { AuthService } from '../app/auth-service';
import { AppError } from '../domain/errors';
import { clientFrameSchemas, frame, type ServerFrame } from '../protocol/frames';

/** setTimeout's largest delay (~24.8 days); longer expiries re-arm in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls `onExpired` once, when the scheduled expiry passes; `clear` on disconnect. */
export class TokenExpiry {
  private timer: NodeJS.Timeout | null = null;
  private expiresAt: Date | null = null;

  constructor(private readonly onExpired: () => void) {}

  /** (Re)schedules for `expiresAt`; null means the token never expires. */
  schedule(expiresAt: Date | null): void {
    this.clear();
    this.expiresAt = expiresAt;
    this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (!this.expiresAt) return;
    const delay = this.expiresAt.getTime() - Date.now();
    if (delay <= 0) {
      this.expiresAt = null;
      this.onExpired();
      return;
    }
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.arm();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    // The socket keeps the process busy while it matters; the timer alone must not.
    this.timer.unref();
  }
}

/**
 * Handles REFRESH_TOKEN for the socket of `userId`: a valid token of the same user reschedules
 * the expiry and answers TOKEN_REFRESHED; anything else is an UNAUTHORIZED error (thrown) and
 * leaves the old expiry in place.
 */
export async function refreshToken(
  auth: Pick<AuthService, 'authenticateWithExpiry'>,
  expiry: TokenExpiry,
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
  expiry.schedule(refreshed.expiresAt);
  return frame('TOKEN_REFRESHED', { expiresAt: refreshed.expiresAt?.toISOString() ?? null });
}
