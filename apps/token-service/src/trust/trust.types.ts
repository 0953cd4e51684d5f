import type { ClientRow, IssuerRow } from '@trust-broker/contracts';
import type { CandidateKey, ClientAssertionPolicy, TrustedIssuerPolicy } from '@trust-broker/validation';

export type PartyType = 'issuer' | 'client';

/** A trusted issuer as the token endpoint uses it: row, imported keys, the rule engine's policy. */
export interface CachedIssuer {
  row: IssuerRow;
  keys: CandidateKey[];
  keysVersion: number;
  policy: TrustedIssuerPolicy;
}

/** A client with its decrypted secret (secret-based methods) and imported keys. */
export interface CachedClient {
  row: ClientRow;
  /** The client secret's UTF-8 bytes; undefined for key-based and public clients, or when it does not decrypt. */
  secret?: Buffer;
  keys: CandidateKey[];
  keysVersion: number;
  revokedJtis: ReadonlySet<string>;
  revokedKids: ReadonlySet<string>;
  /** Set for `private_key_jwt` and `client_secret_jwt` clients. */
  assertionPolicy?: ClientAssertionPolicy;
}
