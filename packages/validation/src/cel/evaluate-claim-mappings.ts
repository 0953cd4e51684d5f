/**
 * `evaluateClaimMappings(mappings, claims)`: each output claim is a CEL expression over
 * the assertion's `claims` (the issuer's `claim_mappings`); the results are plain JSON.
 * Any failure is a CelExpressionError that names the output claim.
 */
import { isCelError, type CelValue } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';
import { celValueToJson } from './cel-values';
import { compileCelExpression } from './compile-cel-expression';

export function evaluateClaimMappings(mappings: Readonly<Record<string, string>>, claims: Record<string, unknown>): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(mappings)) {
    Object.defineProperty(output, name, { value: evaluateMapping(name, source, claims), enumerable: true, writable: true, configurable: true });
  }
  return output;
}

function evaluateMapping(name: string, source: string, claims: Record<string, unknown>): unknown {
  try {
    const result = compileCelExpression(source).run(claims);
    if (isCelError(result) || result instanceof Error) throw new CelExpressionError(result.message, { cause: result });
    return celValueToJson(result as CelValue);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CelExpressionError(`Claim mapping "${name}" failed: ${message}`, { cause: error });
  }
}
