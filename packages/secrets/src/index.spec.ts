import { randomBytes } from 'node:crypto';
import {
  constantTimeEqual,
  decryptSecret,
  encryptSecret,
  generateSecret,
  isKeyEncryptionKey,
  parseKeyEncryptionKey,
  SecretDecryptionError,
} from './index';

describe('secrets', () => {
  const key = randomBytes(32);

  it('round-trips a secret under its context', () => {
    const envelope = encryptSecret(key, 's3cret', 'client_secret:a');
    expect(envelope).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(envelope).not.toContain('s3cret');
    expect(decryptSecret(key, envelope, 'client_secret:a')).toBe('s3cret');
  });

  it.each([
    ['another context (row swap)', (e: string) => decryptSecret(key, e, 'client_secret:b')],
    ['another key', (e: string) => decryptSecret(randomBytes(32), e, 'client_secret:a')],
    ['a flipped ciphertext byte', (e: string) => {
      const p = e.split('.');
      const ct = Buffer.from(p[2]!, 'base64url');
      ct[0] = ct[0]! ^ 1;
      return decryptSecret(key, [p[0], p[1], ct.toString('base64url'), p[3]].join('.'), 'client_secret:a');
    }],
    ['a truncated envelope', (e: string) => decryptSecret(key, e.split('.').slice(0, 3).join('.'), 'client_secret:a')],
    ['an unknown version', (e: string) => decryptSecret(key, e.replace(/^v1/, 'v9'), 'client_secret:a')],
  ])('refuses %s', (_label, attempt) => {
    const envelope = encryptSecret(key, 's3cret', 'client_secret:a');
    expect(() => attempt(envelope)).toThrow(SecretDecryptionError);
  });

  it('uses a fresh IV each time', () => {
    expect(encryptSecret(key, 'x', 'c')).not.toBe(encryptSecret(key, 'x', 'c'));
  });

  it('compares in constant time and correctly', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });

  it('generates 256-bit secrets', () => {
    expect(Buffer.from(generateSecret(), 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(generateSecret());
  });

  it('parses a 32-byte key and rejects other lengths', () => {
    expect(parseKeyEncryptionKey(randomBytes(32).toString('base64'))).toHaveLength(32);
    expect(() => parseKeyEncryptionKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect([isKeyEncryptionKey(randomBytes(32).toString('base64url')), isKeyEncryptionKey(randomBytes(31).toString('base64'))]).toEqual([true, false]);
  });
});
