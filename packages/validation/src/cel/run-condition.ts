/**
 * Runs a CEL condition over the claims with a three-way outcome: only a boolean true
 * passes; false fails; an error or a non-boolean result is an error (fail closed).
 */
import { isCelError } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';
import { compileCelExpression } from './compile-cel-expression';

export type ConditionOutcome = 'true' | 'false' | 'error';

export function runCondition(source: string, claims: Record<string, unknown>): ConditionOutcome {
  let result: unknown;
  try {
    result = compileCelExpression(source).run(claims);
  } catch (error) {
    if (error instanceof CelExpressionError) return 'error';
    throw error;
  }
  if (isCelError(result) || result instanceof Error || typeof result !== 'boolean') return 'error';
  return result ? 'true' : 'false';
}
