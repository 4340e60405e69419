// Lists ordered by (time, id) break a tie within one millisecond by id, and derived ids (a DM's,
// a message's with a tempId) are hashes: two steps a test means as "before" and "after" must
// land in different milliseconds, or the id decides. This waits until the clock has moved on.

/** Resolves once Date.now() is past the millisecond it was called in. */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  // A timer of 2 ms fires no sooner than that; the loop covers a wall clock stepped back.
  while (Date.now() <= start) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
