/**
 * Fetches a party's remote keys and records the outcome. On success the keys are replaced
 * (version bumped and `issuer_keys`/`client_keys` published when they changed); on a 304
 * only the times move; on failure the last good keys stay (until KEYS_MAX_STALE_S after
 * the last success, then they are dropped: fail closed) and `last_error` says why.
 * The next scheduled fetch follows Cache-Control max-age, clamped to the configured bounds.
 */
import { Inject, Injectable } from '@nestjs/common';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { RegistryDatabase } from '../database/registry-database';
import type { AdminContext } from '../http/admin-request';
import { keyFetchCounter } from '../metrics/registry-metrics';
import { discoverJwksUri } from '../jwks-fetcher/discover-jwks-uri';
import { OutboundFetcher } from '../jwks-fetcher/outbound-fetcher';
import { recordAdminAudit, recordTrustChange } from '../outbox/outbox.writer';
import { keysChange, PartyKeysRepository, type FetchOutcome, type PartyType, type RemoteSource, type StoredPartyKeys } from './party-keys.repository';
import { checkFetchedJwks, type CheckedJwks } from './public-jwks';

export type RefreshReason = 'unknown_kid' | 'scheduled' | 'forced';

type Fetched =
  | { kind: 'keys'; keys: CheckedJwks; jwksUri: string; etag: string | null; maxAgeSeconds: number | null }
  | { kind: 'not_modified'; jwksUri: string; etag: string | null; maxAgeSeconds: number | null }
  | { kind: 'failed'; jwksUri: string | null; error: string };

@Injectable()
export class KeyRefresherService {
  private readonly logger = new RequestLogger('KeyRefresher');

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly database: RegistryDatabase,
    private readonly partyKeys: PartyKeysRepository,
    private readonly fetcher: OutboundFetcher,
  ) {}

  /** Fetches now and records the outcome; null when the party no longer exists. Inline keys are returned as they are. */
  async refresh(party: PartyType, id: string, reason: RefreshReason, admin?: AdminContext): Promise<StoredPartyKeys | null> {
    const source = await this.partyKeys.readRemoteSource(this.database, party, id);
    const current = await this.partyKeys.read(this.database, party, id);
    if (!source || !current) return current;
    if (current.source === 'inline') return current;

    const fetched = await this.fetchKeys(source, current);
    if (fetched.kind === 'failed') this.logger.warn(admin?.requestId, `key fetch for ${party} ${id} failed: ${fetched.error}`);
    return this.database.transaction(async (tx) => {
      const locked = await this.partyKeys.read(tx, party, id, true);
      const sourceNow = await this.partyKeys.readRemoteSource(tx, party, id);
      // Deleted, or its source changed while we fetched: this outcome is for an old configuration.
      if (!locked || locked.source === 'inline' || locked.source !== current.source || JSON.stringify(sourceNow) !== JSON.stringify(source)) return locked;
      const outcome = this.decideOutcome(locked, fetched);
      keyFetchCounter.inc({ party, outcome: fetched.kind === 'failed' ? 'failed' : fetched.kind === 'not_modified' ? 'not_modified' : outcome.keysChanged ? 'changed' : 'unchanged' });
      const stored = await this.partyKeys.writeFetchOutcome(tx, party, id, outcome);
      if (outcome.keysChanged) {
        await recordTrustChange(tx, keysChange(party, id, stored.version, 'upsert'));
      }
      if (outcome.keysChanged || reason === 'forced') {
        await recordAdminAudit(tx, {
          action: 'keys_refreshed',
          actor: admin?.actor ?? 'system:key-refresh',
          request_id: admin?.requestId ?? null,
          remote_addr: admin?.remoteAddr ?? null,
          ...(party === 'issuer' ? { issuer: source.name } : { client_id: source.name }),
          ...(fetched.kind === 'failed' ? { failure: { reason: 'key_fetch_failed' } } : {}),
          details: {
            reason,
            before: describeKeys(locked),
            after: describeKeys(stored),
            last_error: stored.last_error,
          },
        });
      }
      return stored;
    });
  }

  private async fetchKeys(source: RemoteSource, current: StoredPartyKeys): Promise<Fetched> {
    let jwksUri = source.jwksUri;
    try {
      if (source.discovery) jwksUri = await discoverJwksUri(this.fetcher, source.issuer ?? '');
      if (!jwksUri) return { kind: 'failed', jwksUri: null, error: 'no jwks_uri' };
      // A conditional request only against the same document the ETag came from.
      const etag = current.jwks_uri === jwksUri && current.keys.keys.length > 0 ? current.etag : null;
      const response = await this.fetcher.fetchJson(jwksUri, { etag });
      if (response.status === 304) return { kind: 'not_modified', jwksUri, etag: response.etag ?? etag, maxAgeSeconds: response.maxAgeSeconds };
      const keys = checkFetchedJwks(response.body, this.config.outbound.maxKeys);
      return { kind: 'keys', keys, jwksUri, etag: response.etag, maxAgeSeconds: response.maxAgeSeconds };
    } catch (error) {
      return { kind: 'failed', jwksUri, error: (error as Error).message.slice(0, 500) };
    }
  }

  private decideOutcome(current: StoredPartyKeys, fetched: Fetched): FetchOutcome {
    const now = Date.now();
    const bounds = this.config.keyRefresh;
    if (fetched.kind === 'failed') {
      const lastSuccess = current.fetched_at ? current.fetched_at.getTime() : null;
      const stale = lastSuccess === null || now - lastSuccess > bounds.maxStaleSeconds * 1000;
      const dropKeys = stale && current.keys.keys.length > 0;
      return {
        keys: dropKeys ? { keys: [] } : current.keys,
        ignored: dropKeys ? [] : current.ignored,
        keysChanged: dropKeys,
        jwksUri: fetched.jwksUri ?? current.jwks_uri,
        fetchedAt: current.fetched_at,
        etag: dropKeys ? null : current.etag,
        nextRefreshAt: new Date(now + bounds.minRefreshSeconds * 1000),
        lastError: fetched.error,
      };
    }
    const refreshSeconds = clamp(fetched.maxAgeSeconds ?? bounds.defaultRefreshSeconds, bounds.minRefreshSeconds, bounds.maxRefreshSeconds);
    const keys = fetched.kind === 'keys' ? fetched.keys.jwks : current.keys;
    return {
      keys,
      ignored: fetched.kind === 'keys' ? fetched.keys.ignored : current.ignored,
      keysChanged: fetched.kind === 'keys' && JSON.stringify(keys) !== JSON.stringify(current.keys),
      jwksUri: fetched.jwksUri,
      fetchedAt: new Date(now),
      etag: fetched.etag,
      nextRefreshAt: new Date(now + refreshSeconds * 1000),
      lastError: null,
    };
  }
}

/** A key set in an audit event: the kids and where from, never the keys. */
interface KeysDescription {
  kids: (string | null)[];
  source: StoredPartyKeys['source'];
  jwks_uri: string | null;
  version: number;
}

function describeKeys(row: StoredPartyKeys): KeysDescription {
  return {
    kids: row.keys.keys.map((key) => (typeof key.kid === 'string' ? key.kid : null)),
    source: row.source,
    jwks_uri: row.jwks_uri,
    version: row.version,
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
