/**
 * Refuses, at compile time, a CEL expression that names a variable other than `claims`
 * (or a macro's own loop variables) or a function the environment does not have. Without
 * it, a typo such as `claim.sub` compiles and then fails every assertion at run time;
 * with it, the registry answers 400 when the issuer is registered.
 */
import type { CelEnv, parse } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';

type Expr = ReturnType<typeof parse>['expr'];

export const CEL_VARIABLE = 'claims';

/** Type names may appear as identifiers (`type(claims.sub) == string`). */
const TYPE_IDENTIFIERS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Operators are internal names (`_==_`, `@in`, `_&&_`); only identifier-like names are user functions. */
const USER_FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkCelReferences(expr: Expr, env: CelEnv): void {
  walk(expr, new Set([CEL_VARIABLE]), env);
}

function walk(expr: Expr | undefined, scope: ReadonlySet<string>, env: CelEnv): void {
  if (expr === undefined) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!scope.has(kind.value.name) && !TYPE_IDENTIFIERS.has(kind.value.name)) {
        throw new CelExpressionError(`Unknown variable "${kind.value.name}": the only variable is "${CEL_VARIABLE}"`);
      }
      return;
    case 'selectExpr':
      walk(kind.value.operand, scope, env);
      return;
    case 'callExpr':
      if (USER_FUNCTION_NAME.test(kind.value.function) && env.funcs.find(kind.value.function) === undefined) {
        throw new CelExpressionError(`Unknown function "${kind.value.function}"`);
      }
      walk(kind.value.target, scope, env);
      for (const arg of kind.value.args) walk(arg, scope, env);
      return;
    case 'listExpr':
      for (const element of kind.value.elements) walk(element, scope, env);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, scope, env);
        walk(entry.value, scope, env);
      }
      return;
    case 'comprehensionExpr': {
      const loop = kind.value;
      walk(loop.iterRange, scope, env);
      walk(loop.accuInit, scope, env);
      const inner = new Set(scope);
      for (const name of [loop.iterVar, loop.iterVar2, loop.accuVar]) if (name) inner.add(name);
      walk(loop.loopCondition, inner, env);
      walk(loop.loopStep, inner, env);
      walk(loop.result, inner, env);
      return;
    }
    default:
      return;
  }
}
