/**
 * Builds what the trust cache holds for one party from its registry rows: the issuer's
 * grant policy, the client's assertion policy (with validation's client defaults), its
 * keys (reused while the key set's version is unchanged, else imported lazily) and its
 * secret (decrypted once per ciphertext; one that does not decrypt authenticates nobody).
 */
import type { Logger } from '@nestjs/common';
import type { ClientRow, IssuerRow } from '@trust-broker/contracts';
import { decryptSecretToBuffer } from '@trust-broker/secrets';
import { CLIENT_ASSERTION_CLOCK_SKEW_S, clientAssertionAlgorithms, hmacCandidateKey, type ClientAssertionPolicy, type FederatedClientPolicy } from '@trust-broker/validation';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { PartyKeys } from './party-keys';
import type { PartyKeysSnapshot, RevocationSnapshot } from './registry-reader';
import type { CachedClient, CachedIssuer, PartyType } from './trust.types';

export class CachedPartyBuilder {
  /** Lines about keys a request's verification imported (TrustCache's context). */
  private readonly requestLogger = new RequestLogger('TrustCache');

  constructor(
    private readonly keyEncryptionKey: Buffer,
    private readonly logger: Logger,
    /** `BROKER_ISSUER`: an issuer's `accepted_audiences` while it has none of its own. */
    private readonly brokerIssuer: string,
  ) {}

  async issuer(row: IssuerRow, keysRow: PartyKeysSnapshot | undefined, previous: CachedIssuer | undefined): Promise<CachedIssuer> {
    const { keys, keysVersion } = this.resolveKeys('issuer', row.id, keysRow, row.jwks, previous);
    const acceptedAudiences = row.accepted_audiences ?? [this.brokerIssuer];
    return {
      row: withoutCopiedJwks(row, keysRow),
      keys,
      keysVersion,
      acceptedAudiences,
      policy: {
        acceptedAudiences,
        issuer: row.issuer,
        replayNamespace: `grant:${row.id}`,
        requireJti: row.require_jti,
        subjects: row.subjects,
        subjectFromIssuer: row.subject_from_issuer,
        condition: row.condition,
        allowedAlgorithms: row.allowed_algorithms,
        clockSkewSeconds: row.clock_skew_s,
        maxLifetimeSeconds: row.max_assertion_lifetime_s,
        keys: keys.resolver,
      },
    };
  }

  async client(
    row: ClientRow,
    keysRow: PartyKeysSnapshot | undefined,
    revocations: readonly Pick<RevocationSnapshot, 'jti' | 'kid'>[],
    previous: CachedClient | undefined,
  ): Promise<CachedClient> {
    const secret = this.decryptClientSecret(row, previous);
    const resolved =
      row.token_endpoint_auth_method === 'private_key_jwt'
        ? this.resolveKeys('client', row.client_id, keysRow, row.jwks, previous)
        : { keys: PartyKeys.of([]), keysVersion: keysRow?.version ?? previous?.keysVersion ?? 0 };
    const revokedJtis = new Set(revocations.flatMap((r) => (r.jti ? [r.jti] : [])));
    const revokedKids = new Set(revocations.flatMap((r) => (r.kid ? [r.kid] : [])));
    return {
      row: withoutCopiedJwks(row, keysRow),
      ...(secret ? { secret } : {}),
      keys: resolved.keys,
      keysVersion: resolved.keysVersion,
      revokedJtis,
      revokedKids,
      ...this.clientAssertionPolicy(row, resolved.keys, secret, revokedJtis, revokedKids),
      ...federatedPolicy(row, revokedJtis, revokedKids),
    };
  }

  private clientAssertionPolicy(
    row: ClientRow,
    keys: PartyKeys,
    secret: Buffer | undefined,
    revokedJtis: ReadonlySet<string>,
    revokedKids: ReadonlySet<string>,
  ): { assertionPolicy?: ClientAssertionPolicy } {
    const method = row.token_endpoint_auth_method;
    if (method !== 'private_key_jwt' && method !== 'client_secret_jwt') return {};
    const candidateKeys = method === 'client_secret_jwt' ? PartyKeys.of(secret ? [hmacCandidateKey(new Uint8Array(secret))] : []) : keys;
    return {
      assertionPolicy: {
        clientId: row.client_id,
        method,
        replayNamespace: `client:${row.client_id}`,
        reuse: row.client_assertion_reuse,
        allowedAlgorithms: clientAssertionAlgorithms(method, row.token_endpoint_auth_signing_alg),
        clockSkewSeconds: CLIENT_ASSERTION_CLOCK_SKEW_S,
        maxLifetimeSeconds: row.client_assertion_max_lifetime_s,
        keys: candidateKeys.resolver,
        isRevoked: ({ jti, kid }) => (jti !== undefined && revokedJtis.has(jti)) || (kid !== undefined && revokedKids.has(kid)),
      },
    };
  }

  /** Reuses the held keys when the key set's version did not change. */
  private resolveKeys(
    party: PartyType,
    id: string,
    keysRow: PartyKeysSnapshot | undefined,
    inlineJwks: { keys: Record<string, unknown>[] } | null,
    previous: { keys: PartyKeys; keysVersion: number } | undefined,
  ): { keys: PartyKeys; keysVersion: number } {
    if (keysRow && previous && previous.keysVersion === keysRow.version) {
      return { keys: previous.keys, keysVersion: previous.keysVersion };
    }
    const keys = PartyKeys.lazy(keysRow?.keys ?? inlineJwks, (skipped, request) =>
      this.requestLogger.warn(request, `${party} ${id}: ${skipped} unusable key(s) skipped`),
    );
    return { keys, keysVersion: keysRow?.version ?? 0 };
  }

  private decryptClientSecret(row: ClientRow, previous: CachedClient | undefined): Buffer | undefined {
    if (!row.secret_ciphertext) return undefined;
    if (previous?.secret && previous.row.secret_ciphertext === row.secret_ciphertext) return previous.secret;
    try {
      return decryptSecretToBuffer(this.keyEncryptionKey, row.secret_ciphertext, `client_secret:${row.client_id}`);
    } catch {
      // Fail closed: a secret that does not decrypt (wrong KEY_ENCRYPTION_KEY) authenticates nobody.
      this.logger.error(`client ${row.client_id}: client secret does not decrypt under KEY_ENCRYPTION_KEY`);
      return undefined;
    }
  }
}

/** A `federated_jwt` client's credentials, replay namespace, reuse and revocations (CONTRACT.md "Federated client authentication"). */
function federatedPolicy(row: ClientRow, revokedJtis: ReadonlySet<string>, revokedKids: ReadonlySet<string>): { federatedPolicy?: FederatedClientPolicy } {
  if (row.token_endpoint_auth_method !== 'federated_jwt') return {};
  return {
    federatedPolicy: {
      clientId: row.client_id,
      credentials: row.federated_credentials ?? [],
      replayNamespace: `client:${row.client_id}`,
      reuse: row.client_assertion_reuse,
      isRevoked: ({ jti, kid }) => (jti !== undefined && revokedJtis.has(jti)) || (kid !== undefined && revokedKids.has(kid)),
    },
  };
}

/**
 * The registry copies inline `jwks` into the party's key set row; once imported from
 * there, the row's own copy is dead weight held per party (10,000 issuers: megabytes).
 */
function withoutCopiedJwks<Row extends { jwks: unknown }>(row: Row, keysRow: PartyKeysSnapshot | undefined): Row {
  return keysRow !== undefined && row.jwks !== null ? { ...row, jwks: null } : row;
}

export function groupRevocationsByClient(rows: RevocationSnapshot[]): Map<string, RevocationSnapshot[]> {
  const grouped = new Map<string, RevocationSnapshot[]>();
  for (const row of rows) {
    const list = grouped.get(row.client_id) ?? [];
    list.push(row);
    grouped.set(row.client_id, list);
  }
  return grouped;
}
