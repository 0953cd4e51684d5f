export { AssertionError, CelExpressionError, REASON_CODES } from './errors';
export type { OAuthErrorCode, ReasonCode } from './errors';
export type {
  AsymmetricAlgorithm,
  HmacAlgorithm,
  CandidateKey,
  KeyResolver,
  ReplayGuard,
  AssertionPolicy,
  TrustedIssuerPolicy,
  ClientAssertionPolicy,
  AudienceContext,
  CommonContext,
  GrantVerificationContext,
  ClientVerificationContext,
  VerifiedAssertion,
} from './types';
