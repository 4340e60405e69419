// Argon2id password hashing (a slow, memory-hard KDF) behind the PasswordHasher port.
import argon2 from 'argon2';
import type { PasswordHasher } from '../../ports';

/** The lowest cost argon2 accepts: for benchmarks that register thousands of users, never production. */
const FAST: argon2.HashOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export class Argon2Hasher implements PasswordHasher {
  constructor(private readonly profile: 'standard' | 'fast' = 'standard') {}

  hash(password: string): Promise<string> {
    const cost = this.profile === 'fast' ? FAST : {};
    return argon2.hash(password, { type: argon2.argon2id, ...cost });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // A malformed stored hash means "no match", never a 500 at login.
      return false;
    }
  }
}
