/**
 * Enforces the trusted issuer's CEL `condition` over the assertion's claims (a broker
 * policy on top of RFC 7523 §3 rule 10, which lets the server apply further rules):
 * false refuses, and an expression that errors or is not boolean refuses too.
 */
import { reject, type AssertionKind } from '../assertion-kind';
import { runCondition } from '../cel/run-condition';

export function checkCondition(condition: string | null | undefined, claims: Record<string, unknown>, kind: AssertionKind): void {
  if (condition === undefined || condition === null || condition === '') return;
  const outcome = runCondition(condition, claims);
  if (outcome === 'error') throw reject(kind, 'condition_error', "The issuer's condition could not be evaluated for this assertion");
  if (outcome === 'false') throw reject(kind, 'condition_failed', "The assertion does not meet the issuer's condition");
}
