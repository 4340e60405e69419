// The one way tests wait for a condition that no event reports (an HTTP status, a REST view):
// re-check it until it holds or a deadline passes. Prefer an event when one exists — a frame on a
// socket (RealtimeClient.waitFor) or a Redis keyspace notification (redis-keyspace.ts).

export interface WaitForOptions {
  /** What is awaited, in words, for the timeout message ("readyz to answer 503"). */
  what: string;
  /** @default 5000 */
  timeoutMs?: number;
  /** Pause between two checks. @default 50 */
  intervalMs?: number;
}

/** What a passing check returned: anything but the falsy values that mean "not yet". */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolves with the first truthy value `check` returns; rejects once `timeoutMs` has passed,
 * naming `what` and the last value seen. An error thrown by `check` fails the wait at once (a
 * broken check is not a condition that has yet to hold).
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { what, timeoutMs = 5000, intervalMs = 50 }: WaitForOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last check: ${describe(value)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
