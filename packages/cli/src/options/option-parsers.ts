/**
 * Parsers for flag values: each turns one string into the typed value the API wants,
 * or throws a UsageError that names the flag, so a typo never reaches the server.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { InputFileError } from '../cli.errors';

/** A flag that may be given many times: each value kept as typed, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `a,b , c` -> ['a','b','c']; repeated flags accumulate. */
export function parseList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return [...(previous ?? []), ...items];
}

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number of seconds (0 or more)');
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError('number too large');
  return parsed;
}

export function parsePositiveInteger(value: string): number {
  const parsed = parseNonNegativeInteger(value);
  if (parsed === 0) throw new InvalidArgumentError('expected a whole number above 0');
  return parsed;
}

/** An RFC 3339 time with a zone, e.g. 2030-01-01T00:00:00Z. */
export function parseRfc3339(value: string): string {
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  if (!rfc3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an RFC 3339 time such as 2030-01-01T00:00:00Z');
  }
  return value;
}

export function parseChoice(choices: readonly string[]): (value: string) => string {
  return (value: string) => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}`);
    return value;
  };
}

/** `name=expression` pairs for claim mappings; repeated flags accumulate. */
export function parseKeyValue(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const index = value.indexOf('=');
  if (index <= 0) throw new InvalidArgumentError('expected name=value');
  return { ...previous, [value.slice(0, index).trim()]: value.slice(index + 1) };
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputFileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InputFileError(`${path} is not valid JSON`);
  }
}

const PUBLIC_MEMBERS_KEPT = ['kid', 'alg', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256'] as const;

/**
 * A JWKS with only public key material, from a file holding a JWKS or one JWK,
 * public or private: a private member (`d`, `p`, ...) is never sent to the server.
 */
export function readPublicJwks(path: string): { keys: Array<Record<string, unknown>> } {
  const document = readJsonFile(path) as { keys?: unknown };
  const keys = Array.isArray(document?.keys) ? (document.keys as unknown[]) : [document];
  return {
    keys: keys.map((jwk, index) => {
      if (typeof jwk !== 'object' || jwk === null) throw new InputFileError(`${path}: key ${index} is not a JWK object`);
      const source = jwk as Record<string, unknown>;
      let publicJwk: Record<string, unknown>;
      try {
        publicJwk = createPublicKey({ key: source as never, format: 'jwk' }).export({ format: 'jwk' }) as Record<string, unknown>;
      } catch (error) {
        throw new InputFileError(`${path}: key ${index} is not a usable JWK (${(error as Error).message})`);
      }
      for (const member of PUBLIC_MEMBERS_KEPT) if (source[member] !== undefined) publicJwk[member] = source[member];
      return publicJwk;
    }),
  };
}
