// Tokens for authorization tests: for each way a bearer token can be wrong (docs/PROTOCOL.md
// §2.1), one token that is wrong in exactly that way and otherwise names a real user.
import jwt from 'jsonwebtoken';
import { newObjectId } from '../../src/domain/ids';
import { TEST_JWT_SECRET } from './test-node';

export type TokenProblem =
  'no token' | 'malformed' | 'bad signature' | 'expired' | 'alg none' | 'unknown user';

export const TOKEN_PROBLEMS: readonly TokenProblem[] = [
  'no token',
  'malformed',
  'bad signature',
  'expired',
  'alg none',
  'unknown user',
];

/** A valid HS256 token of `userId`, as the node itself would issue it. */
export function validToken(userId: string, expiresInSeconds = 3600): string {
  return jwt.sign({}, TEST_JWT_SECRET, {
    algorithm: 'HS256',
    subject: userId,
    expiresIn: expiresInSeconds,
  });
}

/**
 * A token with `problem` for `userId` (null: send none). Every other part is right, so the
 * refusal can only come from that problem: a correct token of the same user would be accepted.
 */
export function badToken(problem: TokenProblem, userId: string): string | null {
  switch (problem) {
    case 'no token':
      return null;
    case 'malformed':
      return 'not-a-jwt';
    case 'bad signature':
      return jwt.sign({}, `${TEST_JWT_SECRET}-but-not-quite`, {
        algorithm: 'HS256',
        subject: userId,
        expiresIn: 3600,
      });
    case 'expired':
      // Signed an hour ago, expired a minute ago: well past any clock tolerance.
      return jwt.sign({ sub: userId, iat: Math.floor(Date.now() / 1000) - 3600 }, TEST_JWT_SECRET, {
        algorithm: 'HS256',
        expiresIn: 3540,
      });
    case 'alg none':
      return jwt.sign({ sub: userId }, '', { algorithm: 'none' });
    case 'unknown user':
      // Well signed, with a well-formed id that no user has.
      return validToken(newObjectId());
  }
}
