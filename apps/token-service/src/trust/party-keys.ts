/**
 * One party's key set as the trust cache holds it. Enforces:
 * - keys are imported once per key-set version, never per request: on the first
 *   assertion that needs them, not when the set is loaded. An imported EC key costs
 *   about 3.5 KB of native memory; 10,000 trusted issuers, most of them idle at any
 *   moment, would otherwise hold tens of megabytes of keys nobody verifies with;
 * - unusable members are skipped at import (RFC 7517 §5), and reported once, by the request
 *   whose verification imported them (`reportSkipped`): the line names it (`request_id`).
 */
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { createStaticKeyResolver, importCandidateKeys, type CandidateKey, type KeyResolver } from '@trust-broker/validation';

export class PartyKeys {
  private source: unknown;
  private imported: Promise<CandidateKey[]> | undefined;
  private importedResolver: KeyResolver | undefined;
  /** Members the import skipped that no `reportSkipped` has reported yet. */
  private unreported = 0;

  /** `onSkipped(n, request)`: called once (`reportSkipped`) if `n` members of the set could not be imported. */
  private constructor(
    source: unknown,
    private readonly onSkipped: (skipped: number, request: LoggedRequest | undefined) => void,
  ) {
    this.source = source;
  }

  /** A key set (`{"keys": [...]}`) imported when first used. */
  static lazy(jwks: unknown, onSkipped: (skipped: number, request: LoggedRequest | undefined) => void = () => undefined): PartyKeys {
    return new PartyKeys(jwks, onSkipped);
  }

  /** Keys that are ready already (a `client_secret_jwt` client's secret). */
  static of(keys: CandidateKey[]): PartyKeys {
    const party = new PartyKeys(undefined, () => undefined);
    party.imported = Promise.resolve(keys);
    party.importedResolver = createStaticKeyResolver(keys);
    return party;
  }

  /** The rule engine's resolver: synchronous once the keys are imported. */
  readonly resolver: KeyResolver = {
    resolve: (header) => this.importedResolver?.resolve(header) ?? this.all().then(() => this.importedResolver!.resolve(header)),
  };

  /** True once the keys were imported (for tests and memory accounting). */
  get isImported(): boolean {
    return this.importedResolver !== undefined;
  }

  /** The imported keys; imports them the first time. */
  all(): Promise<CandidateKey[]> {
    this.imported ??= importCandidateKeys(this.source).then((keys) => {
      const offered = readOffered(this.source);
      this.unreported = offered - keys.length;
      this.importedResolver = createStaticKeyResolver(keys);
      this.source = undefined;
      return keys;
    });
    return this.imported;
  }

  /**
   * After a verification with these keys (the rule engine imports them on first use, and
   * has no request to name): reports what the import skipped, once, naming `request`.
   */
  reportSkipped(request: LoggedRequest | undefined): void {
    if (this.unreported === 0) return;
    const skipped = this.unreported;
    this.unreported = 0;
    this.onSkipped(skipped, request);
  }
}

function readOffered(jwks: unknown): number {
  const keys = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
  return Array.isArray(keys) ? keys.length : 0;
}
