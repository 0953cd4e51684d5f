/**
 * Binds the assertion's claims (parsed JSON) as CEL values explicitly, so no attacker-
 * chosen member (`$typeName`, `constructor`, `__proto__`) can change how the CEL
 * runtime interprets the object.
 */
import { celList, celMap, type CelInput } from '@bufbuild/cel';

export function claimsToCel(value: unknown): CelInput {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return celList(value.map((item) => claimsToCel(item)));
  if (typeof value === 'object') {
    const entries = new Map<string, CelInput>();
    for (const [name, item] of Object.entries(value)) entries.set(name, claimsToCel(item));
    return celMap(entries);
  }
  // JSON has no other value types; anything else (undefined, bigint from a caller) is absent.
  return null;
}
