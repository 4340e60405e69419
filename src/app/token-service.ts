// JWTs: Parley signs its own (HS256 secret, or a private key) and accepts platform tokens
// (RS256/ES256 with JWT_PUBLIC_KEY) whose `sub` is a Parley user id.
import jwt, { type Algorithm } from 'jsonwebtoken';
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { AppError } from '../domain/errors';
import { isObjectId } from '../domain/ids';

export interface TokenOptions {
  secret: string | undefined;
  publicKey: string | undefined;
  privateKey: string | undefined;
  expiresInSeconds: number;
}

const ASYMMETRIC: Algorithm[] = ['RS256', 'ES256'];

export class TokenService {
  private readonly signingAlgorithm: Algorithm | null;
  /**
   * The keys as KeyObjects, made once: given a string, jsonwebtoken parses it on every call, and
   * for a secret first tries it as a PEM public key (which throws) — 13 % of a node's CPU in a
   * reconnect storm, every handshake verifying a token.
   */
  private readonly secretKey: KeyObject | undefined;
  private readonly publicKey: KeyObject | undefined;
  private readonly privateKey: KeyObject | undefined;

  constructor(private readonly options: TokenOptions) {
    this.secretKey = options.secret ? createSecretKey(Buffer.from(options.secret)) : undefined;
    this.publicKey = options.publicKey ? createPublicKey(options.publicKey) : undefined;
    this.privateKey = options.privateKey ? createPrivateKey(options.privateKey) : undefined;
    if (this.privateKey) {
      const type = this.privateKey.asymmetricKeyType;
      this.signingAlgorithm = type === 'ec' ? 'ES256' : 'RS256';
    } else {
      this.signingAlgorithm = options.secret ? 'HS256' : null;
    }
  }

  /** Whether this node can mint tokens (standalone accounts); false with only a public key. */
  get canSign(): boolean {
    return this.signingAlgorithm !== null;
  }

  sign(userId: string): string {
    const key = this.privateKey ?? this.secretKey;
    if (!this.signingAlgorithm || !key) {
      throw new AppError(
        'NOT_IMPLEMENTED',
        'standalone accounts are disabled: no signing key is configured',
      );
    }
    return jwt.sign({}, key, {
      algorithm: this.signingAlgorithm,
      subject: userId,
      expiresIn: this.options.expiresInSeconds,
    });
  }

  /** The user id a valid token names; UNAUTHORIZED for anything missing, malformed or expired. */
  verify(token: string | undefined | null): string {
    return this.verifyWithExpiry(token).userId;
  }

  /** Like verify, plus when the token stops being valid (`exp`; null when it never does). */
  verifyWithExpiry(token: string | undefined | null): { userId: string; expiresAt: Date | null } {
    if (!token) throw new AppError('UNAUTHORIZED', 'missing bearer token');
    const decoded = jwt.decode(token, { complete: true });
    const alg = decoded?.header.alg as Algorithm | undefined;
    let key: KeyObject | undefined;
    if (alg === 'HS256') key = this.secretKey;
    else if (alg !== undefined && ASYMMETRIC.includes(alg)) key = this.publicKey;
    if (!alg || !key) throw new AppError('UNAUTHORIZED', 'invalid token');
    try {
      const payload = jwt.verify(token, key, { algorithms: [alg] });
      const sub = typeof payload === 'string' ? undefined : payload.sub;
      if (!isObjectId(sub)) throw new AppError('UNAUTHORIZED', 'token subject is not a user id');
      const exp = typeof payload === 'string' ? undefined : payload.exp;
      return { userId: sub, expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : null };
    } catch (err) {
      if (err instanceof AppError) throw err;
      const expired = err instanceof jwt.TokenExpiredError;
      throw new AppError('UNAUTHORIZED', expired ? 'token expired' : 'invalid token');
    }
  }
}
