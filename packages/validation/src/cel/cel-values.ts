/**
 * Turns a CEL result into plain JSON values for access token claims (RFC 7519 claims
 * are JSON): ints that fit a double become numbers; bytes, timestamps and types have no
 * JSON form here and are refused.
 */
import { isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';

export function celValueToJson(value: CelValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return finiteNumber(value);
  if (typeof value === 'bigint') return safeInteger(value);
  if (isCelUint(value)) return safeInteger(value.value);
  if (isCelList(value)) return Array.from(value, (item) => celValueToJson(item));
  if (isCelMap(value)) return mapToObject(value);
  throw new CelExpressionError('The expression produced a value that has no JSON form (bytes, timestamp, duration, type or message)');
}

function finiteNumber(value: number): number {
  if (!Number.isFinite(value)) throw new CelExpressionError('The expression produced a number that has no JSON form (NaN or infinity)');
  return value;
}

function safeInteger(value: bigint): number {
  const asNumber = Number(value);
  if (!Number.isSafeInteger(asNumber)) throw new CelExpressionError('The expression produced an integer too large for JSON');
  return asNumber;
}

function mapToObject(map: ReadonlyMap<unknown, CelValue>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of map) {
    // defineProperty: a "__proto__" key becomes data, never the prototype.
    Object.defineProperty(result, celKeyToString(key), { value: celValueToJson(item), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function celKeyToString(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (isCelUint(key)) return String(key.value);
  throw new CelExpressionError('The expression produced a map key that has no JSON form');
}
