/**
 * Reads a local private key for signing test assertions: a JWK, a JWKS (the first
 * private key, or the one with the asked `kid`), or PEM (PKCS#8, PKCS#1, SEC1).
 * The algorithm and `kid` come from the key when it says; else the usual one per type.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputFileError, UsageError } from '../cli.errors';

export interface SigningKey {
  key: KeyObject;
  alg: string;
  kid: string | undefined;
}

interface PrivateJwk {
  kty?: string;
  kid?: string;
  alg?: string;
  d?: string;
  [member: string]: unknown;
}

const CURVE_ALGORITHMS: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** The default JWS algorithm for a private key of this type. */
export function defaultAlgorithm(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const alg = CURVE_ALGORITHMS[curve];
      if (alg) return alg;
      throw new UsageError(`unsupported EC curve ${curve}; use P-256, P-384 or P-521`);
    }
    default:
      throw new UsageError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

function pickJwk(document: unknown, kid: string | undefined): PrivateJwk {
  const candidates: PrivateJwk[] =
    typeof document === 'object' && document !== null && Array.isArray((document as { keys?: unknown }).keys)
      ? ((document as { keys: PrivateJwk[] }).keys)
      : [document as PrivateJwk];
  const privateKeys = candidates.filter((jwk) => typeof jwk === 'object' && jwk !== null && typeof jwk.d === 'string');
  const chosen = kid === undefined ? privateKeys[0] : privateKeys.find((jwk) => jwk.kid === kid);
  if (!chosen) {
    throw new InputFileError(kid === undefined ? 'no private key (a JWK with "d") in the file' : `no private key with kid "${kid}" in the file`);
  }
  return chosen;
}

/** Parses the text of a key file; `source` names it in error messages. */
export function parsePrivateKey(text: string, source: string, kid?: string): SigningKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let document: unknown;
    try {
      document = JSON.parse(trimmed);
    } catch {
      throw new InputFileError(`${source} is not valid JSON`);
    }
    const jwk = pickJwk(document, kid);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } catch (error) {
      throw new InputFileError(`${source}: not a usable private JWK (${(error as Error).message})`);
    }
    return { key, alg: jwk.alg ?? defaultAlgorithm(key), kid: kid ?? jwk.kid };
  }
  if (trimmed.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPrivateKey(trimmed);
    } catch (error) {
      throw new InputFileError(`${source}: not a usable PEM private key (${(error as Error).message})`);
    }
    return { key, alg: defaultAlgorithm(key), kid };
  }
  throw new InputFileError(`${source}: expected a JWK, a JWKS or a PEM private key`);
}

export function loadPrivateKey(path: string, kid?: string): SigningKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputFileError(`cannot read key file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parsePrivateKey(text, path, kid);
}
