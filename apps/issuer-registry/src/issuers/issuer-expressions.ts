/**
 * CEL `condition` and `claim_mappings` are compiled at registration with the validation
 * package's compiler, so a syntax error is a 400 now rather than a refusal at token time.
 */
import { invalidRequest } from '@trust-broker/service-kit';
import { CelExpressionError, compileCelExpression } from '@trust-broker/validation';

export function checkCelExpression(source: string, field: string): void {
  try {
    compileCelExpression(source);
  } catch (error) {
    if (error instanceof CelExpressionError) throw invalidRequest(`${field}: ${error.message}`);
    throw error;
  }
}
