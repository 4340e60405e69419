// Wraps every method of a store so a driver's transient failures (told apart by `isTransient`)
// surface as the domain's UnavailableError: clients get a retryable UNAVAILABLE, never INTERNAL.
import { UnavailableError } from '../../domain/errors';
import type { Store } from '../../ports';

export function translatingErrors<S extends Store>(
  store: S,
  isTransient: (err: unknown) => boolean,
): S {
  const translated = (err: unknown): unknown =>
    isTransient(err) ? new UnavailableError('the database', err) : err;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        const fn = value as (...a: unknown[]) => unknown;
        let result: unknown;
        try {
          result = fn.apply(target, args);
        } catch (err) {
          throw translated(err);
        }
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            throw translated(err);
          });
        }
        return result;
      };
    },
  });
}
