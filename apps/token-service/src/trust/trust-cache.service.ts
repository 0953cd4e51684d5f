/**
 * The trust cache: every trusted issuer, client, party key set and client-assertion
 * revocation, in memory, indexed by `iss` and `client_id`, so the token path never
 * touches Postgres. Enforces:
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
import { EventEmitter } from 'node:events';
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
  type RegistryVersions,
  type RevocationSnapshot,
  type StaleParties,
} from './registry-reader';
import { CachedPartyBuilder, groupRevocationsByClient } from './cached-party.builder';
import { TrustStaleError } from './trust.errors';
import type { CachedClient, CachedIssuer, PartyType } from './trust.types';

/** How long a trust-change message waits for a lagging read replica to show its change (CONTRACT.md: 2 s in all). */
const REPLICA_CATCH_UP_MS = 1500;
const REPLICA_RETRY_MS = 50;

@Injectable()
export class TrustCache {
  private readonly logger = new Logger(TrustCache.name);
  private issuersById = new Map<string, CachedIssuer>();
  private issuersByIss = new Map<string, CachedIssuer>();
  private clients = new Map<string, CachedClient>();
  /**
   * `issuer:<id>` / `client:<client_id>` → the versions (row, key set, revocations) the
   * cached entry was built from by a reconcile. Absent: read it again at the next one.
   */
  private readonly builtFrom = new Map<string, string>();
  private loaded = false;
  private lastLoadAt = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly keyEvents = new EventEmitter();
  private readonly build: CachedPartyBuilder;
  private readonly readsReplica: boolean;

  constructor(
    @Inject(TRUST_READ_DATA_SOURCE) private readonly db: DataSource,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {
    this.readsReplica = config.databaseReadUrl !== undefined && config.databaseReadUrl !== config.databaseUrl;
    this.keyEvents.setMaxListeners(0);
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
    const issuer = this.issuersByIss.get(iss);
    return issuer && isActive(issuer.row, now) ? issuer : undefined;
  }

  /** Any client with this `client_id`, whatever its status (callers check it, for a precise reason). */
  findClient(clientId: string): CachedClient | undefined {
    this.requireFresh();
    return this.clients.get(clientId);
  }

  /** How many issuers and clients are cached (for logs and metrics). */
  size(): { issuers: number; clients: number } {
    return { issuers: this.issuersById.size, clients: this.clients.size };
  }

  keysVersion(party: PartyType, id: string): number {
    if (party === 'issuer') return this.issuersById.get(id)?.keysVersion ?? -1;
    return this.clients.get(id)?.keysVersion ?? -1;
  }

  /** Resolves true as soon as the party's keys are newer than `sinceVersion`, false after `timeoutMs`. */
  async waitForKeysChange(party: PartyType, id: string, sinceVersion: number, timeoutMs: number): Promise<boolean> {
    if (this.keysVersion(party, id) > sinceVersion) return true;
    const event = `${party}:${id}`;
    return new Promise<boolean>((resolve) => {
      const onChange = () => {
        if (this.keysVersion(party, id) <= sinceVersion) return;
        clearTimeout(timer);
        this.keyEvents.off(event, onChange);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.keyEvents.off(event, onChange);
        resolve(false);
      }, timeoutMs);
      this.keyEvents.on(event, onChange);
    });
  }

  /**
   * Brings the cache in line with the registry (the first load, then every
   * TRUST_RELOAD_INTERVAL_S): reads every row's version, rebuilds only the parties that
   * are new or changed, drops the ones gone. On failure nothing changes and the error is thrown.
   */
  reloadAll(): Promise<void> {
    return this.serialise(async () => {
      const { versions, rows } = await readChangedRows(this.db, (current) => this.staleParties(current));
      const keysByParty = new Map<string, PartyKeysSnapshot>();
      for (const row of rows.partyKeys) keysByParty.set(`${row.party_type}:${row.party_id}`, row);
      const revocationsByClient = groupRevocationsByClient(rows.revocations);

      // Everything is built before anything is replaced: a failure leaves the cache as it was.
      const issuers: CachedIssuer[] = [];
      for (const row of rows.issuers) {
        issuers.push(await this.build.issuer(row, keysByParty.get(`issuer:${row.id}`), this.issuersById.get(row.id)));
      }
      const clients: CachedClient[] = [];
      for (const row of rows.clients) {
        const keys = keysByParty.get(`client:${row.client_id}`);
        clients.push(await this.build.client(row, keys, revocationsByClient.get(row.client_id) ?? [], this.clients.get(row.client_id)));
      }

      for (const id of [...this.issuersById.keys()]) {
        if (versions.issuers.has(id)) continue;
        this.removeIssuer(id);
        this.builtFrom.delete(`issuer:${id}`);
      }
      for (const clientId of [...this.clients.keys()]) {
        if (versions.clients.has(clientId)) continue;
        this.clients.delete(clientId);
        this.builtFrom.delete(`client:${clientId}`);
      }
      const changedKeys: string[] = [];
      for (const issuer of issuers) {
        const party = `issuer:${issuer.row.id}`;
        if (issuer.keysVersion > this.keysVersion('issuer', issuer.row.id)) changedKeys.push(party);
        this.putIssuer(issuer);
        this.builtFrom.set(party, builtFromOf(versions, 'issuer', issuer.row.id));
      }
      for (const client of clients) {
        const party = `client:${client.row.client_id}`;
        if (client.keysVersion > this.keysVersion('client', client.row.client_id)) changedKeys.push(party);
        this.clients.set(client.row.client_id, client);
        this.builtFrom.set(party, builtFromOf(versions, 'client', client.row.client_id));
      }
      this.loaded = true;
      this.lastLoadAt = Date.now();
      for (const party of changedKeys) this.keyEvents.emit(party);
    });
  }

  /** The parties whose row, key set or revocations differ from what their cached entry was built from. */
  private staleParties(versions: RegistryVersions): StaleParties {
    const issuerIds: string[] = [];
    for (const id of versions.issuers.keys()) {
      if (this.builtFrom.get(`issuer:${id}`) !== builtFromOf(versions, 'issuer', id)) issuerIds.push(id);
    }
    const clientIds: string[] = [];
    for (const clientId of versions.clients.keys()) {
      if (this.builtFrom.get(`client:${clientId}`) !== builtFromOf(versions, 'client', clientId)) clientIds.push(clientId);
    }
    return { issuerIds, clientIds };
  }

  /** Applies one trust-change message: reloads just that entity, unless the message is stale. */
  applyChange(change: TrustChange): Promise<void> {
    return this.serialise(async () => {
      // Whatever this message changes, the next reconcile reads the party once more.
      const party = change.entity === 'issuer' || change.entity === 'issuer_keys' ? 'issuer' : 'client';
      this.builtFrom.delete(`${party}:${change.id}`);
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
    const cached = this.issuersById.get(change.id);
    if (change.op === 'delete') {
      this.removeIssuer(change.id);
      return;
    }
    if (cached && cached.row.version >= change.version) return;
    const row = await this.readAtLeast(change.version, () => readIssuer(this.db, change.id));
    if (!row) {
      this.removeIssuer(change.id);
      return;
    }
    const keys = await readPartyKeys(this.db, 'issuer', row.id);
    this.putIssuer(await this.build.issuer(row, keys, cached));
  }

  private async applyClientChange(change: TrustChange): Promise<void> {
    const cached = this.clients.get(change.id);
    if (change.op === 'delete') {
      this.clients.delete(change.id);
      return;
    }
    if (cached && cached.row.version >= change.version) return;
    const row = await this.readAtLeast(change.version, () => readClient(this.db, change.id));
    if (!row) {
      this.clients.delete(change.id);
      return;
    }
    const [keys, revocations] = await Promise.all([
      readPartyKeys(this.db, 'client', row.client_id),
      readRevocations(this.db, row.client_id),
    ]);
    this.clients.set(row.client_id, await this.build.client(row, keys, revocations, cached));
  }

  private async applyKeysChange(party: PartyType, change: TrustChange): Promise<void> {
    if (this.keysVersion(party, change.id) >= change.version && change.op !== 'delete') return;
    const keys = change.op === 'delete' ? undefined : await this.readAtLeast(change.version, () => readPartyKeys(this.db, party, change.id));
    if (party === 'issuer') {
      const cached = this.issuersById.get(change.id);
      if (cached) this.putIssuer(await this.build.issuer(cached.row, keys, cached));
    } else {
      const cached = this.clients.get(change.id);
      if (cached) {
        const revocations: RevocationSnapshot[] = [
          ...[...cached.revokedJtis].map((jti) => ({ client_id: change.id, jti, kid: null })),
          ...[...cached.revokedKids].map((kid) => ({ client_id: change.id, jti: null, kid })),
        ];
        this.clients.set(change.id, await this.build.client(cached.row, keys, revocations, cached));
      }
    }
    this.keyEvents.emit(`${party}:${change.id}`);
  }

  private async applyRevocationChange(change: TrustChange): Promise<void> {
    const cached = this.clients.get(change.id);
    if (!cached) return;
    const revocations = await readRevocations(this.db, change.id);
    const keys = { party_type: 'client' as const, party_id: change.id, keys: { keys: [] }, version: cached.keysVersion };
    // Keep the imported keys: only the revocation sets change.
    const rebuilt = await this.build.client(cached.row, keys, revocations, cached);
    this.clients.set(change.id, rebuilt);
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

  private putIssuer(issuer: CachedIssuer): void {
    const previous = this.issuersById.get(issuer.row.id);
    // A rename: free the old `iss`, unless another issuer took it over meanwhile (renames applied in any order).
    if (previous && previous.row.issuer !== issuer.row.issuer && this.issuersByIss.get(previous.row.issuer) === previous) {
      this.issuersByIss.delete(previous.row.issuer);
    }
    this.issuersById.set(issuer.row.id, issuer);
    this.issuersByIss.set(issuer.row.issuer, issuer);
  }

  private removeIssuer(id: string): void {
    const previous = this.issuersById.get(id);
    if (!previous) return;
    this.issuersById.delete(id);
    if (this.issuersByIss.get(previous.row.issuer) === previous) this.issuersByIss.delete(previous.row.issuer);
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

/** What a cached party was built from: its row version, key set version and revocations. */
function builtFromOf(versions: RegistryVersions, party: PartyType, id: string): string {
  const row = party === 'issuer' ? versions.issuers.get(id) : versions.clients.get(id);
  const keys = versions.partyKeys.get(`${party}:${id}`) ?? '-';
  return party === 'issuer' ? `${row}/${keys}` : `${row}/${keys}/${versions.revocations.get(id) ?? '-'}`;
}
