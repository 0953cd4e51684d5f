import type { ClientRow, IssuerRow } from '@trust-broker/contracts';
import type { ClientAssertionPolicy, FederatedClientPolicy, TrustedIssuerPolicy } from '@trust-broker/validation';
import type { PartyKeys } from './party-keys';

export type PartyType = 'issuer' | 'client';

/** A trusted issuer as the token endpoint uses it: row, keys (imported on first use), the rule engine's policy. */
export interface CachedIssuer {
  row: IssuerRow;
  keys: PartyKeys;
  keysVersion: number;
  policy: TrustedIssuerPolicy;
  /** `accepted_audiences`, NULL resolved to `[BROKER_ISSUER]`: the `aud` values of its subject, actor and federated client tokens. */
  acceptedAudiences: readonly string[];
}

/** A client with its decrypted secret (secret-based methods) and keys (imported on first use). */
export interface CachedClient {
  row: ClientRow;
  /** The client secret's UTF-8 bytes; undefined for key-based and public clients, or when it does not decrypt. */
  secret?: Buffer;
  keys: PartyKeys;
  keysVersion: number;
  revokedJtis: ReadonlySet<string>;
  revokedKids: ReadonlySet<string>;
  /** Set for `private_key_jwt` and `client_secret_jwt` clients. */
  assertionPolicy?: ClientAssertionPolicy;
  /** Set for `federated_jwt` clients: their credentials; the keys are their issuers'. */
  federatedPolicy?: FederatedClientPolicy;
}
