// sha256(): the one-call digest ids and fingerprints use must equal createHash's, in both of
// its encodings and on runtimes without crypto.hash, or stored ids would stop matching.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256 } from '../../src/domain/sha256';
import { deriveObjectId } from '../../src/domain/ids';

const reference = (text: string, encoding: 'hex' | 'base64url'): string =>
  createHash('sha256').update(text).digest(encoding);

describe('sha256', () => {
  it('equals createHash for any text, in hex and base64url', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(sha256(text, 'hex')).toBe(reference(text, 'hex'));
        expect(sha256(text, 'base64url')).toBe(reference(text, 'base64url'));
      }),
    );
  });

  it('gives the same when the runtime has no crypto.hash', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('node:crypto', () => ({ ...jest.requireActual('node:crypto'), hash: undefined }));
      const { sha256: fallback } = await import('../../src/domain/sha256');
      expect(fallback('héllo\u0000world', 'hex')).toBe(reference('héllo\u0000world', 'hex'));
      expect(fallback('x', 'base64url')).toBe(reference('x', 'base64url'));
    });
    jest.dontMock('node:crypto');
  });

  it('keeps derived ids as they were stored: the first 24 hex digits of the key’s digest', () => {
    expect(deriveObjectId('message', 'u1', 't1')).toBe(
      reference('message\u0000u1\u0000t1', 'hex').slice(0, 24),
    );
  });
});
