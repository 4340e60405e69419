// SHA-256 of a short text in one call. `crypto.hash` (Node 20.12+) skips the Hash object that
// createHash builds, which is most of the cost for the few hundred bytes ids and fingerprints
// hash (two per message sent with a tempId); older runtimes take the createHash path.
import * as crypto from 'node:crypto';

type Encoding = 'hex' | 'base64url';

const oneShot: ((algorithm: string, data: string, encoding: Encoding) => string) | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** The SHA-256 digest of `text` (UTF-8) in `encoding`. */
export function sha256(text: string, encoding: Encoding): string {
  return oneShot
    ? oneShot('sha256', text, encoding)
    : crypto.createHash('sha256').update(text).digest(encoding);
}
