/**
 * Trusted issuers: each change is one transaction that writes the issuer, its key row,
 * and the outbox (trust changes for `issuer` and `issuer_keys`, one admin audit event).
 * Enforces: exactly one key source; inline keys public, with at least one usable signing
 * key (the unusable ones are held as `ignored`); a jwks_uri (or a
 * discovery issuer URL) fetchable under the outbound rules; CEL compiled; `issuer` unique.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { IssuerResource, IssuerRow } from '@trust-broker/contracts';
import type { IgnoredKey } from '@trust-broker/validation';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { isUuid, postgresErrorCode, RegistryDatabase, type Sql } from '../database/registry-database';
import { auditContext, stripUndefined, type AdminContext } from '../http/admin-request';
import { toPage, type Page, type PageRequest } from '../http/paging';
import { KeyRefreshQueue } from '../key-refresh/key-refresh.queue';
import { recordAdminChange, recordTrustChange, type TrustChangeInput } from '../outbox/outbox.writer';
import { presentKeyStatus, type KeyStatusView } from '../party-keys/key-status.presenter';
import { KeyRefresherService } from '../party-keys/key-refresher.service';
import { checkOutboundUrl } from '../party-keys/outbound-url';
import { PartyKeysRepository } from '../party-keys/party-keys.repository';
import { checkInlineJwks } from '../party-keys/public-jwks';
import { checkCelExpression } from './issuer-expressions';
import { presentIssuer } from './issuer.presenter';
import { ISSUER_DEFAULTS, isHttpUrl, type CreateIssuerBody, type UpdateIssuerBody } from './issuer.schemas';
import { IssuerError } from './issuers.errors';
import { ISSUER_SETTINGS, IssuersRepository, type IssuerSettings } from './issuers.repository';

/** An issuer's settings before the checks: `jwks` as the body gave it. */
type IssuerDraft = Omit<IssuerSettings, 'jwks'> & { jwks: Record<string, unknown> | null };

@Injectable()
export class IssuersService {
  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly database: RegistryDatabase,
    private readonly issuers: IssuersRepository,
    private readonly partyKeys: PartyKeysRepository,
    private readonly refresher: KeyRefresherService,
    private readonly refreshQueue: KeyRefreshQueue,
  ) {}

  async create(body: CreateIssuerBody, admin: AdminContext): Promise<IssuerResource> {
    const { settings, ignoredKeys } = this.checkSettings({
      ...ISSUER_DEFAULTS,
      display_name: body.issuer,
      jwks: null,
      jwks_uri: null,
      discovery: false,
      // NULL: `[BROKER_ISSUER]`, following that setting (CONTRACT.md default).
      accepted_audiences: null,
      ...stripUndefined(body),
    });
    const row = await this.database.transaction(async (tx) => {
      const created = await this.issuers.insert(tx, settings);
      if (!created) throw new IssuerError('issuer_already_registered', `issuer: "${settings.issuer}" is already registered`);
      await this.writeKeySource(tx, created, ignoredKeys);
      await recordAdminChange(tx, [{ entity: 'issuer', id: created.id, version: created.version, op: 'upsert' }], { ...auditContext(admin), action: 'created', issuer: created.issuer, details: { before: null, after: this.present(created) } });
      return created;
    });
    if (row.jwks === null) void this.refreshQueue.requestRefresh('issuer', row.id, 'forced', admin.requestId);
    return this.present(row);
  }

  async list(page: PageRequest): Promise<Page<IssuerResource>> {
    if (page.after && !isUuid(page.after.id)) throw new IssuerError('cursor_invalid', 'cursor: not a cursor returned by this list');
    const rows = await this.issuers.page(this.database, page);
    return toPage(rows, page.limit, (row) => row.id, (row) => this.present(row));
  }

  async get(id: string): Promise<IssuerResource> {
    return this.present(await this.find(this.database, id));
  }

  async update(id: string, patch: UpdateIssuerBody, admin: AdminContext): Promise<IssuerResource> {
    const { after, keysChanged } = await this.database.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      const changesKeySource = patch.jwks !== undefined || patch.jwks_uri !== undefined || patch.discovery !== undefined;
      const { settings, ignoredKeys } = this.checkSettings({
        ...ISSUER_SETTINGS.pick(current),
        ...stripUndefined(patch),
        // A patch that names a key source replaces the source: the ones it does not name are cleared.
        ...(changesKeySource ? { jwks: patch.jwks ?? null, jwks_uri: patch.jwks_uri ?? null, discovery: patch.discovery ?? false } : {}),
      });
      const updated = await this.updateRow(tx, id, settings);
      const keysChanged =
        JSON.stringify(current.jwks) !== JSON.stringify(updated.jwks) ||
        current.jwks_uri !== updated.jwks_uri ||
        current.discovery !== updated.discovery ||
        (updated.discovery && current.issuer !== updated.issuer);
      if (keysChanged) await this.writeKeySource(tx, updated, ignoredKeys);
      else if (patch.jwks && updated.jwks) await this.partyKeys.writeInlineIgnored(tx, 'issuer', id, ignoredKeys);
      await recordAdminChange(tx, [{ entity: 'issuer', id, version: updated.version, op: 'upsert' }], { ...auditContext(admin), action: 'updated', issuer: updated.issuer, details: { before: this.present(current), after: this.present(updated) } });
      return { after: updated, keysChanged };
    });
    if (keysChanged && after.jwks === null) void this.refreshQueue.requestRefresh('issuer', id, 'forced', admin.requestId);
    return this.present(after);
  }

  async remove(id: string, admin: AdminContext): Promise<void> {
    await this.database.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      await this.issuers.delete(tx, id);
      const keysVersion = await this.partyKeys.delete(tx, 'issuer', id);
      const changes: TrustChangeInput[] = [{ entity: 'issuer', id, version: current.version + 1, op: 'delete' }];
      if (keysVersion !== null) changes.push({ entity: 'issuer_keys', id, version: keysVersion, op: 'delete' });
      await recordAdminChange(tx, changes, { ...auditContext(admin), action: 'deleted', issuer: current.issuer, details: { before: this.present(current), after: null } });
    });
  }

  async keyStatus(id: string): Promise<KeyStatusView> {
    await this.find(this.database, id);
    const keys = await this.partyKeys.read(this.database, 'issuer', id);
    if (!keys) throw new IssuerError('issuer_keys_not_found', `issuer ${id} has no key record`);
    return presentKeyStatus(keys);
  }

  /** Fetches the issuer's keys now (an admin's forced refresh always fetches) and answers the outcome. */
  async refreshKeys(id: string, admin: AdminContext): Promise<KeyStatusView> {
    await this.find(this.database, id);
    const keys = await this.refresher.refresh('issuer', id, 'forced', admin);
    if (!keys) throw new IssuerError('issuer_not_found', `no issuer with id ${id}`);
    return presentKeyStatus(keys);
  }

  private present(row: IssuerRow): IssuerResource {
    return presentIssuer(row, this.config.brokerIssuer);
  }

  private async find(sql: Sql, id: string, forUpdate = false): Promise<IssuerRow> {
    const row = await this.issuers.find(sql, id, forUpdate);
    if (!row) throw new IssuerError('issuer_not_found', `no issuer with id ${id.slice(0, 64)}`);
    return row;
  }

  private async updateRow(tx: Sql, id: string, settings: IssuerSettings): Promise<IssuerRow> {
    // Checked first so the common case does not end in a failed (and logged) statement.
    if (await this.issuers.isTaken(tx, settings.issuer, id)) throw new IssuerError('issuer_already_registered', `issuer: "${settings.issuer}" is already registered`);
    try {
      return await this.issuers.update(tx, id, settings);
    } catch (error) {
      if (postgresErrorCode(error) === '23505') throw new IssuerError('issuer_already_registered', `issuer: "${settings.issuer}" is already registered`);
      throw error;
    }
  }

  private async writeKeySource(tx: Sql, row: IssuerRow, ignoredKeys: readonly IgnoredKey[]): Promise<void> {
    const version = row.jwks
      ? await this.partyKeys.writeInline(tx, 'issuer', row.id, row.jwks, ignoredKeys)
      : await this.partyKeys.writeRemoteSource(tx, 'issuer', row.id, row.discovery ? 'discovery' : 'jwks_uri', row.jwks_uri);
    await recordTrustChange(tx, { entity: 'issuer_keys', id: row.id, version, op: 'upsert' });
  }

  /** The rules a whole issuer must meet, after defaults or a patch are applied. */
  private checkSettings(settings: IssuerDraft): { settings: IssuerSettings; ignoredKeys: IgnoredKey[] } {
    const sources = Number(settings.jwks !== null) + Number(settings.jwks_uri !== null) + Number(settings.discovery);
    if (sources === 0) throw new IssuerError('key_source_missing', 'jwks: one key source is required: jwks, jwks_uri or discovery: true');
    if (sources > 1) throw new IssuerError('key_source_ambiguous', 'jwks: give exactly one key source: jwks, jwks_uri or discovery: true');
    const inline = settings.jwks === null ? null : checkInlineJwks(settings.jwks);
    if (settings.jwks_uri !== null) checkOutboundUrl(settings.jwks_uri, 'jwks_uri', this.config.outbound);
    if (settings.discovery) {
      if (!isHttpUrl(settings.issuer)) throw new IssuerError('discovery_needs_http_issuer', 'issuer: discovery needs an issuer that is an http(s) URL');
      checkOutboundUrl(settings.issuer, 'issuer', this.config.outbound);
    }
    if (settings.condition !== null) checkCelExpression(settings.condition, 'condition');
    for (const [claim, expression] of Object.entries(settings.claim_mappings ?? {})) checkCelExpression(expression, `claim_mappings.${claim}`);
    return { settings: { ...settings, jwks: inline?.jwks ?? null }, ignoredKeys: inline?.ignored ?? [] };
  }
}
