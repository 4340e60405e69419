// Standalone accounts (register, login) and turning a bearer token into a known user.
import { AppError } from '../domain/errors';
import { userIdForUsername } from '../domain/ids';
import type { User } from '../domain/types';
import type { UserPublic } from '../protocol/rest';
import type { Clock, PasswordHasher, Store } from '../ports';
import type { TokenService } from './token-service';
import { toUserPublic } from './views';

export interface AuthResult {
  user: UserPublic;
  access_token: string;
  token_type: 'bearer';
}

export interface AuthServiceDeps {
  store: Store;
  hasher: PasswordHasher;
  tokens: TokenService;
  clock: Clock;
}

export class AuthService {
  /** Hash checked when the username is unknown, so a miss costs as much as a wrong password. */
  private decoyHash: Promise<string> | null = null;

  constructor(private readonly deps: AuthServiceDeps) {}

  async register(
    username: string,
    password: string,
    avatarUrl: string | null,
  ): Promise<AuthResult> {
    const { store, hasher, tokens, clock } = this.deps;
    if (!tokens.canSign)
      throw new AppError('NOT_IMPLEMENTED', 'standalone accounts are disabled on this server');
    const now = clock();
    const user: User = {
      // Derived from the lower-cased name: two registrations of one name collide on _id.
      id: userIdForUsername(username),
      username,
      avatarUrl,
      passwordHash: await hasher.hash(password),
      createdAt: now,
      lastActiveAt: now,
    };
    if (!(await store.insertUser(user)))
      throw new AppError('CONFLICT', 'username is already taken');
    return this.issue(user);
  }

  async login(username: string, password: string): Promise<AuthResult> {
    const { store, hasher } = this.deps;
    const wrong = new AppError('UNAUTHORIZED', 'wrong username or password');
    const user = /^[A-Za-z0-9_.-]{1,64}$/.test(username)
      ? await store.findUserById(userIdForUsername(username))
      : null;
    if (!user?.passwordHash) {
      this.decoyHash ??= hasher.hash('decoy password for timing').catch((err: unknown) => {
        this.decoyHash = null;
        throw err;
      });
      await hasher.verify(await this.decoyHash, password);
      throw wrong;
    }
    if (!(await hasher.verify(user.passwordHash, password))) throw wrong;
    await store.setUserLastActive(user.id, this.deps.clock());
    return this.issue(user);
  }

  /** The user a token names; UNAUTHORIZED when the token is bad or names nobody. */
  async authenticate(token: string | undefined | null): Promise<User> {
    return (await this.authenticateWithExpiry(token)).user;
  }

  /** Like authenticate, plus the token's expiry (null: none), for connections that outlive it. */
  async authenticateWithExpiry(
    token: string | undefined | null,
  ): Promise<{ user: User; expiresAt: Date | null }> {
    const { userId, expiresAt } = this.deps.tokens.verifyWithExpiry(token);
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw new AppError('UNAUTHORIZED', 'token names an unknown user');
    return { user, expiresAt };
  }

  private issue(user: User): AuthResult {
    return {
      user: toUserPublic(user),
      access_token: this.deps.tokens.sign(user.id),
      token_type: 'bearer',
    };
  }
}
