/**
 * A new key pair for one of the broker's signing algorithms (`BROKER_SIGNING_ALGORITHMS` of
 * the JWS core in @trust-broker/validation, which also signs and verifies with it).
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { BrokerSigningAlgorithm } from '@trust-broker/validation';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export async function generateKeyPairFor(alg: BrokerSigningAlgorithm): Promise<KeyPair> {
  switch (alg) {
    case 'ES256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'EdDSA':
      return generateKeyPairAsync('ed25519');
    case 'PS256':
    case 'RS256':
      // 2048 bits: the RFC 7518 §3.3 minimum, and what resource servers expect.
      return generateKeyPairAsync('rsa', { modulusLength: 2048 });
  }
}
