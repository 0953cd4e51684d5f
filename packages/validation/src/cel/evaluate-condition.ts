/**
 * `evaluateCondition(source, claims)`: true only when the CEL condition evaluates to
 * boolean true; false, an error or a non-boolean result is false (fail closed).
 */
import { runCondition } from './run-condition';

export function evaluateCondition(source: string, claims: Record<string, unknown>): boolean {
  return runCondition(source, claims) === 'true';
}
