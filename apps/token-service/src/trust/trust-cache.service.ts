/**
 * The trust cache: every trusted issuer, client, party key set and client-assertion
 * revocation, in memory, so the token path never touches Postgres. This class loads and
 * applies changes; the indexes are `TrustIndex`, the reconcile's bookkeeping
 * `ReconcileLedger`, the waits for new keys `KeyChangeWaiter`, the building of an entry
 * `CachedPartyBuilder`. Enforces:
 * - keys are imported (on first use, party-keys.ts) and secrets decrypted once per version, never per request;
 * - the periodic reconcile reads every row's version and rebuilds only the parties that
 *   are new or changed (row, key set or revocations), dropping the ones gone; a party
 *   changed by a message is read again by the next reconcile;
 * - reloads are serialised, so an older snapshot never overwrites a newer entity;
 * - stale trust-change messages (version not newer than the cached one) are ignored;
 * - a failed load keeps the previous state (serving from memory while Postgres is down);
 * - disabled or expired issuers are never returned as active;
 * - no lookup answers once the last successful reload is older than TRUST_MAX_STALE_S
 *   (TrustStaleError, 503): a stale cache cannot hide a disable for longer than that;
 * - with a read replica (DATABASE_READ_URL) every read goes there, and a message whose
 *   change the replica does not show yet is read again until it does, for at most
 *   REPLICA_CATCH_UP_MS (then the next reconcile picks it up).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TrustChange } from '@trust-broker/contracts';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { TRUST_READ_DATA_SOURCE } from '../database/database.module';
import {
  readChangedRows,
  readClient,
  readIssuer,
  readPartyKeys,
  readRevocations,
  type PartyKeysSnapshot,
  type RevocationSnapshot,
} from './registry-reader';
import { CachedPartyBuilder, groupRevocationsByClient } from './cached-party.builder';
import { KeyChangeWaiter } from './key-change-waiter';
import { ReconcileLedger } from './reconcile-ledger';
import { TrustIndex } from './trust-index';
import { TrustStaleError } from './trust.errors';
import type { CachedClient, CachedIssuer, PartyType } from './trust.types';

/** How long a trust-change message waits for a lagging read replica to show its change (CONTRACT.md: 2 s in all). */
const REPLICA_CATCH_UP_MS = 1500;
const REPLICA_RETRY_MS = 50;

@Injectable()
export class TrustCache {
  private readonly logger = new Logger(TrustCache.name);
  private readonly index = new TrustIndex();
  private readonly ledger = new ReconcileLedger();
  private readonly keyChanges = new KeyChangeWaiter((party, id) => this.index.keysVersion(party, id));
  private loaded = false;
  private lastLoadAt = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly build: CachedPartyBuilder;
  private readonly readsReplica: boolean;

  constructor(
    @Inject(TRUST_READ_DATA_SOURCE) private readonly db: DataSource,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {
    this.readsReplica = config.databaseReadUrl !== undefined && config.databaseReadUrl !== config.databaseUrl;
    this.build = new CachedPartyBuilder(config.keyEncryptionKey, this.logger, config.brokerIssuer);
  }

  /** True once the first full load succeeded. */
  isLoaded(): boolean {
    return this.loaded;
  }

  lastLoadedAt(): number {
    return this.lastLoadAt;
  }

  /**
   * Throws TrustStaleError (503) once the last successful reload is older than
   * TRUST_MAX_STALE_S: fail closed rather than trust a cache that may miss a disable.
   */
  requireFresh(now = Date.now()): void {
    if (this.loaded && now - this.lastLoadAt > this.config.trustMaxStaleMs) throw new TrustStaleError(now - this.lastLoadAt);
  }

  /** The active, unexpired issuer with exactly this `iss`. */
  findActiveIssuer(iss: string, now = Date.now()): CachedIssuer | undefined {
    this.requireFresh(now);
    const issuer = this.index.issuerByIss(iss);
    return issuer && isActive(issuer.row, now) ? issuer : undefined;
  }

  /** Any client with this `client_id`, whatever its status (callers check it, for a precise reason). */
  findClient(clientId: string): CachedClient | undefined {
    this.requireFresh();
    return this.index.client(clientId);
  }

  /** How many issuers and clients are cached (for logs and metrics). */
  size(): { issuers: number; clients: number } {
    return this.index.size();
  }

  keysVersion(party: PartyType, id: string): number {
    return this.index.keysVersion(party, id);
  }

  /** Resolves true as soon as the party's keys are newer than `sinceVersion`, false after `timeoutMs`. */
  waitForKeysChange(party: PartyType, id: string, sinceVersion: number, timeoutMs: number): Promise<boolean> {
    return this.keyChanges.wait(party, id, sinceVersion, timeoutMs);
  }

  /**
   * Brings the cache in line with the registry (the first load, then every
   * TRUST_RELOAD_INTERVAL_S): reads every row's version, rebuilds only the parties that
   * are new or changed, drops the ones gone. On failure nothing changes and the error is thrown.
   */
  reloadAll(): Promise<void> {
    return this.serialise(async () => {
      const { versions, rows } = await readChangedRows(this.db, (current) => this.ledger.staleParties(current));
      const keysByParty = new Map<string, PartyKeysSnapshot>();
      for (const row of rows.partyKeys) keysByParty.set(`${row.party_type}:${row.party_id}`, row);
      const revocationsByClient = groupRevocationsByClient(rows.revocations);

      // Everything is built before anything is replaced: a failure leaves the cache as it was.
      const issuers: CachedIssuer[] = [];
      for (const row of rows.issuers) {
        issuers.push(await this.build.issuer(row, keysByParty.get(`issuer:${row.id}`), this.index.issuerById(row.id)));
      }
      const clients: CachedClient[] = [];
      for (const row of rows.clients) {
        const keys = keysByParty.get(`client:${row.client_id}`);
        clients.push(await this.build.client(row, keys, revocationsByClient.get(row.client_id) ?? [], this.index.client(row.client_id)));
      }

      for (const id of this.index.issuerIds()) {
        if (versions.issuers.has(id)) continue;
        this.index.removeIssuer(id);
        this.ledger.forget('issuer', id);
      }
      for (const clientId of this.index.clientIds()) {
        if (versions.clients.has(clientId)) continue;
        this.index.removeClient(clientId);
        this.ledger.forget('client', clientId);
      }
      const changedKeys: [PartyType, string][] = [];
      for (const issuer of issuers) {
        if (issuer.keysVersion > this.index.keysVersion('issuer', issuer.row.id)) changedKeys.push(['issuer', issuer.row.id]);
        this.index.putIssuer(issuer);
        this.ledger.record('issuer', issuer.row.id, versions);
      }
      for (const client of clients) {
        if (client.keysVersion > this.index.keysVersion('client', client.row.client_id)) changedKeys.push(['client', client.row.client_id]);
        this.index.putClient(client);
        this.ledger.record('client', client.row.client_id, versions);
      }
      this.loaded = true;
      this.lastLoadAt = Date.now();
      for (const [party, id] of changedKeys) this.keyChanges.notify(party, id);
    });
  }

  /** Applies one trust-change message: reloads just that entity, unless the message is stale. */
  applyChange(change: TrustChange): Promise<void> {
    return this.serialise(async () => {
      // Whatever this message changes, the next reconcile reads the party once more.
      this.ledger.forget(change.entity === 'issuer' || change.entity === 'issuer_keys' ? 'issuer' : 'client', change.id);
      switch (change.entity) {
        case 'issuer':
          return this.applyIssuerChange(change);
        case 'client':
          return this.applyClientChange(change);
        case 'issuer_keys':
        case 'client_keys':
          return this.applyKeysChange(change.entity === 'issuer_keys' ? 'issuer' : 'client', change);
        case 'assertion_revocation':
          return this.applyRevocationChange(change);
      }
    });
  }

  private async applyIssuerChange(change: TrustChange): Promise<void> {
    const cached = this.index.issuerById(change.id);
    if (change.op === 'delete') {
      this.index.removeIssuer(change.id);
      return;
    }
    if (cached && cached.row.version >= change.version) return;
    const row = await this.readAtLeast(change.version, () => readIssuer(this.db, change.id));
    if (!row) {
      this.index.removeIssuer(change.id);
      return;
    }
    const keys = await readPartyKeys(this.db, 'issuer', row.id);
    this.index.putIssuer(await this.build.issuer(row, keys, cached));
  }

  private async applyClientChange(change: TrustChange): Promise<void> {
    const cached = this.index.client(change.id);
    if (change.op === 'delete') {
      this.index.removeClient(change.id);
      return;
    }
    if (cached && cached.row.version >= change.version) return;
    const row = await this.readAtLeast(change.version, () => readClient(this.db, change.id));
    if (!row) {
      this.index.removeClient(change.id);
      return;
    }
    const [keys, revocations] = await Promise.all([
      readPartyKeys(this.db, 'client', row.client_id),
      readRevocations(this.db, row.client_id),
    ]);
    this.index.putClient(await this.build.client(row, keys, revocations, cached));
  }

  private async applyKeysChange(party: PartyType, change: TrustChange): Promise<void> {
    if (this.keysVersion(party, change.id) >= change.version && change.op !== 'delete') return;
    const keys = change.op === 'delete' ? undefined : await this.readAtLeast(change.version, () => readPartyKeys(this.db, party, change.id));
    if (party === 'issuer') {
      const cached = this.index.issuerById(change.id);
      if (cached) this.index.putIssuer(await this.build.issuer(cached.row, keys, cached));
    } else {
      const cached = this.index.client(change.id);
      if (cached) {
        const revocations: RevocationSnapshot[] = [
          ...[...cached.revokedJtis].map((jti) => ({ client_id: change.id, jti, kid: null })),
          ...[...cached.revokedKids].map((kid) => ({ client_id: change.id, jti: null, kid })),
        ];
        this.index.putClient(await this.build.client(cached.row, keys, revocations, cached));
      }
    }
    this.keyChanges.notify(party, change.id);
  }

  private async applyRevocationChange(change: TrustChange): Promise<void> {
    const cached = this.index.client(change.id);
    if (!cached) return;
    const revocations = await readRevocations(this.db, change.id);
    const keys = { party_type: 'client' as const, party_id: change.id, keys: { keys: [] }, version: cached.keysVersion };
    // Keep the imported keys: only the revocation sets change.
    this.index.putClient(await this.build.client(cached.row, keys, revocations, cached));
  }

  /** Reads `read` again while a lagging replica shows an older version than the message announced. */
  private async readAtLeast<T extends { version: number }>(version: number, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = Date.now() + (this.readsReplica ? REPLICA_CATCH_UP_MS : 0);
    for (;;) {
      const row = await read();
      if ((row !== undefined && row.version >= version) || Date.now() >= deadline) return row;
      await new Promise((resolve) => setTimeout(resolve, REPLICA_RETRY_MS));
    }
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** `active` and not past `expires_at` (clients have no `expires_at` column today; tolerated when absent). */
export function isActive(row: { status: string; expires_at?: Date | string | null }, now: number): boolean {
  if (row.status !== 'active') return false;
  return row.expires_at === null || row.expires_at === undefined || new Date(row.expires_at).getTime() > now;
}
