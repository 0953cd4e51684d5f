/**
 * Refuses, at compile time:
 * - a variable other than `claims` (or a macro's own loop variables) and a function the
 *   environment does not have: a typo such as `claim.sub` would otherwise compile and
 *   then fail every assertion; the registry answers 400 at registration instead;
 * - a comprehension (`all`, `exists`, `map`, `filter`, ...) inside another one's body:
 *   the claims come from a partner, and a 16 KB assertion can carry ~8,000 list items,
 *   so nested loops (8,000² steps, tens of seconds) would let one assertion stall the
 *   token service. One level stays linear in the assertion's size.
 */
import type { CelEnv, parse } from '@bufbuild/cel';
import { CelExpressionError } from '../errors';

type Expr = ReturnType<typeof parse>['expr'];

export const CEL_VARIABLE = 'claims';

/** Type names may appear as identifiers (`type(claims.sub) == string`). */
const TYPE_IDENTIFIERS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Operators are internal names (`_==_`, `@in`, `_&&_`); only identifier-like names are user functions. */
const USER_FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkCelExpression(expr: Expr, env: CelEnv): void {
  walk(expr, new Set([CEL_VARIABLE]), env, false);
}

function walk(expr: Expr | undefined, scope: ReadonlySet<string>, env: CelEnv, inLoop: boolean): void {
  if (expr === undefined) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!scope.has(kind.value.name) && !TYPE_IDENTIFIERS.has(kind.value.name)) {
        throw new CelExpressionError(`Unknown variable "${kind.value.name}": the only variable is "${CEL_VARIABLE}"`);
      }
      return;
    case 'selectExpr':
      walk(kind.value.operand, scope, env, inLoop);
      return;
    case 'callExpr':
      if (USER_FUNCTION_NAME.test(kind.value.function) && env.funcs.find(kind.value.function) === undefined) {
        throw new CelExpressionError(`Unknown function "${kind.value.function}"`);
      }
      walk(kind.value.target, scope, env, inLoop);
      for (const arg of kind.value.args) walk(arg, scope, env, inLoop);
      return;
    case 'listExpr':
      for (const element of kind.value.elements) walk(element, scope, env, inLoop);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, scope, env, inLoop);
        walk(entry.value, scope, env, inLoop);
      }
      return;
    case 'comprehensionExpr': {
      if (inLoop) throw new CelExpressionError('Nested comprehensions (a macro such as exists/all/map inside another one) are not supported: their cost grows with the square of the claims');
      const loop = kind.value;
      walk(loop.iterRange, scope, env, inLoop);
      walk(loop.accuInit, scope, env, inLoop);
      const inner = new Set(scope);
      for (const name of [loop.iterVar, loop.iterVar2, loop.accuVar]) if (name) inner.add(name);
      walk(loop.loopCondition, inner, env, true);
      walk(loop.loopStep, inner, env, true);
      walk(loop.result, inner, env, true);
      return;
    }
    default:
      return;
  }
}
