/**
 * Compiles a CEL expression over `claims` once and keeps it in a bounded cache keyed by
 * its source, so the token path never re-parses (issuer `condition`, `claim_mappings`).
 * A syntax error is a CelExpressionError whose message says where and what: the
 * registry answers it as 400 at registration.
 */
import { parse, plan, type CelResult } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';
import { CEL_ENVIRONMENT } from './cel-environment';
import { checkCelExpression } from './check-cel-expression';
import { claimsToCel } from './claims-to-cel';

/** Longest accepted expression: conditions and mappings are one-liners, not programs. */
export const MAX_CEL_EXPRESSION_LENGTH = 4096;
const CACHE_LIMIT = 1000;

export interface CompiledCelExpression {
  readonly source: string;
  /** Runs the expression with `claims` bound; returns the CEL result or a CEL error, never throws. */
  run(claims: Record<string, unknown>): CelResult;
}

const cache = new Map<string, CompiledCelExpression>();

export function compileCelExpression(source: string): CompiledCelExpression {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const compiled = compileUncached(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}

function compileUncached(source: string): CompiledCelExpression {
  if (typeof source !== 'string' || source.trim().length === 0) throw new CelExpressionError('The CEL expression is empty');
  if (source.length > MAX_CEL_EXPRESSION_LENGTH) throw new CelExpressionError(`The CEL expression is longer than ${MAX_CEL_EXPRESSION_LENGTH} characters`);
  let evaluate: ReturnType<typeof plan>;
  try {
    const parsed = parse(source);
    checkCelExpression(parsed.expr, CEL_ENVIRONMENT);
    evaluate = plan(CEL_ENVIRONMENT, parsed);
  } catch (cause) {
    if (cause instanceof CelExpressionError) throw cause;
    throw new CelExpressionError(`Invalid CEL expression: ${describe(cause)}`, { cause });
  }
  return {
    source,
    run(claims) {
      try {
        return evaluate({ claims: claimsToCel(claims) });
      } catch (cause) {
        return cause as CelResult;
      }
    },
  };
}

function describe(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/^<input>:/, 'at ');
}

