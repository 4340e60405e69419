// Argon2id password hashing (a slow, memory-hard KDF) behind the PasswordHasher port.
import argon2 from 'argon2';
import type { PasswordHasher } from '../../ports';

export class Argon2Hasher implements PasswordHasher {
  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
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
