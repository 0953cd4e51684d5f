/**
 * CEL `condition` and `claim_mappings` are compiled at registration with the validation
 * package's compiler, so a syntax error is a 400 now rather than a refusal at token time.
 * The same checks answer `POST /v1/issuers/expressions/check`, which the admin console
 * calls as an admin types: the browser holds no copy of them.
 */
import { CelExpressionError, compileCelExpression } from '@trust-broker/validation';
import { z } from 'zod';
import { describeZodError } from '../http/zod-body.pipe';
import { issuerFields, type ExpressionCheckBody } from './issuer.schemas';
import { IssuerError } from './issuers.errors';

export function checkCelExpression(source: string, field: string): void {
  const problem = celProblem(source, field);
  if (problem !== null) throw new IssuerError('expression_invalid', problem);
}

/** `"<field>: <problem>"` as a 400 of the admin API would word it, or null. */
function celProblem(source: string, field: string): string | null {
  try {
    compileCelExpression(source);
    return null;
  } catch (error) {
    if (error instanceof CelExpressionError) return `${field}: ${error.message}`;
    throw error;
  }
}

// The body's own field schemas, so a problem reads as POST /v1/issuers words it.
const conditionShape = z.object({ condition: issuerFields.condition });
const mappingShape = z.object({ claim_mappings: issuerFields.claim_mappings });

export interface ExpressionProblem {
  /** `condition` or `claim_mappings.<claim>` */
  field: string;
  /** The `error_description` that POST or PATCH /v1/issuers would answer. */
  error_description: string;
}

export interface ExpressionCheckResult {
  valid: boolean;
  problems: ExpressionProblem[];
}

/** Every problem of the given expressions, by the rules POST and PATCH /v1/issuers apply. */
export function checkExpressions(body: ExpressionCheckBody): ExpressionCheckResult {
  const problems: ExpressionProblem[] = [];
  if (body.condition !== undefined && body.condition !== null) {
    const shape = conditionShape.safeParse({ condition: body.condition });
    const problem = shape.success ? celProblem(body.condition, 'condition') : describeZodError(shape.error);
    if (problem !== null) problems.push({ field: 'condition', error_description: problem });
  }
  if (body.claim_mappings !== undefined && body.claim_mappings !== null) {
    const mappings = body.claim_mappings;
    if (Object.keys(mappings).length > 50) problems.push({ field: 'claim_mappings', error_description: 'claim_mappings: must hold at most 50 mappings' });
    for (const [claim, expression] of Object.entries(mappings)) {
      const field = `claim_mappings.${claim}`;
      const nameCheck = mappingShape.safeParse({ claim_mappings: { [claim]: expression } });
      if (!nameCheck.success) {
        problems.push({ field, error_description: describeZodError(nameCheck.error) });
        continue;
      }
      const problem = celProblem(expression, field);
      if (problem !== null) problems.push({ field, error_description: problem });
    }
  }
  return { valid: problems.length === 0, problems };
}
