export { AssertionError, CelExpressionError, REASON_CODES } from './errors';
export type { OAuthErrorCode, ReasonCode } from './errors';
export type {
  ReplayVerdict,
  VerifiedFacts,
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
  FederatedCredential,
  FederatedClientPolicy,
  SubjectTokenVerificationContext,
  FederatedClientVerificationContext,
} from './types';
export { readGrantAssertion, verifyGrantAssertion } from './verify-grant-assertion';
export type { AssertionReading } from './rules/read-assertion';
export { verifyClientAssertion } from './verify-client-assertion';
export { verifySubjectToken } from './verify-subject-token';
export { verifyFederatedClientAssertion } from './verify-federated-client-assertion';
export {
  DEFAULT_ISSUER_ALGORITHMS,
  SUPPORTED_ALGORITHMS,
  isAsymmetricAlgorithm,
  isHmacAlgorithm,
  keyFitsAlgorithm,
  type AsymmetricAlgorithm,
  type HmacAlgorithm,
} from './algorithms';
export { MAX_ASSERTION_BYTES, MAX_JTI_LENGTH, MAX_KID_LENGTH } from './limits';
export { MIN_CLIENT_SECRET_BYTES, minHmacSecretBytes } from './rules/check-secret-length';
export { earliestAcceptance, replayMarkExpiry, replayRefusal } from './rules/record-jti';
export type { AssertionKind } from './assertion-kind';
export { compileCelExpression, MAX_CEL_EXPRESSION_LENGTH } from './cel/compile-cel-expression';
export type { CompiledCelExpression } from './cel/compile-cel-expression';
export { evaluateCondition } from './cel/evaluate-condition';
export { evaluateClaimMappings } from './cel/evaluate-claim-mappings';
export { JwksValidationError } from './jwks/jwks-validation.errors';
export { validatePublicJwks, MAX_JWKS_KEYS } from './jwks/validate-public-jwks';
export type { ClassifiedJwks, IgnoredKey } from './jwks/validate-public-jwks';
export { importCandidateKeys } from './jwks/import-candidate-keys';
export { createStaticKeyResolver } from './jwks/create-static-key-resolver';
export { hmacCandidateKey } from './jwks/hmac-candidate-key';
// The JWS core: one parser, one verifier and one signer for partners' assertions and the broker's own tokens.
export { BROKER_SIGNING_ALGORITHMS, isBrokerSigningAlgorithm } from './algorithms';
export type { BrokerSigningAlgorithm } from './algorithms';
export { decodeJsonSegment, splitCompactJws, unverifiedClaims } from './jws/compact-jws-parts';
export type { CompactJwsParts } from './jws/compact-jws-parts';
export { verifyJwsSignature } from './jws/verify-jws-signature';
export { signJws } from './jws/sign-jws';
export { CLIENT_ASSERTION_CLOCK_SKEW_S, clientAssertionAlgorithms } from './client-assertion-defaults';
// DPoP proofs (RFC 9449) at the token endpoint, and the RFC 7638 thumbprint that binds tokens to their key.
export { verifyDpopProof, DPOP_SIGNING_ALGORITHMS, DPOP_IAT_WINDOW_S, MAX_DPOP_PROOF_BYTES } from './dpop/verify-dpop-proof';
export type { DpopVerificationContext, VerifiedDpopProof } from './dpop/verify-dpop-proof';
export { jwkThumbprint } from './dpop/jwk-thumbprint';
