// Which work a store command serves: a client's request, or a node's own background pass (the
// outbox relay's sweep, a metrics scrape's outbox count). parley_store_commands_total keeps the
// two apart, so "reads per delivered message" means reads that sending and delivery cost, not
// the sweeps that run on their own clock whatever the traffic.
import { AsyncLocalStorage } from 'node:async_hooks';

export type WorkOrigin = 'request' | 'background';

const background = new AsyncLocalStorage<true>();

/** Runs `work`, and everything it awaits, as background work. */
export function asBackgroundWork<T>(work: () => T): T {
  return background.run(true, work);
}

/** What the code running now serves: background inside `asBackgroundWork`, a request elsewhere. */
export function currentWorkOrigin(): WorkOrigin {
  return background.getStore() === true ? 'background' : 'request';
}
