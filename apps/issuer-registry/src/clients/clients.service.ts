/**
 * Clients: each change is one transaction that writes the client, its key row (for
 * private_key_jwt), and the outbox (trust changes, one admin audit event without secrets).
 * Enforces: private_key_jwt has exactly one of jwks/jwks_uri and the other methods none;
 * secret methods get a server-generated 256-bit secret, shown once, stored encrypted
 * (AES-256-GCM, AAD `client_secret:<client_id>`); a signing alg that fits the method;
 * no client_credentials for public clients; `client_id` unique; `federated_jwt` clients
 * hold no keys and no secret, only 1 to 20 `federated_credentials` whose issuers are
 * registered trusted issuers (checked in the write's transaction).
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ClientResource, ClientRow, FederatedCredential } from '@trust-broker/contracts';
import { decryptSecret, encryptSecret, generateSecret, sha256Hex } from '@trust-broker/secrets';
import { isAsymmetricAlgorithm, isHmacAlgorithm, minHmacSecretBytes, type IgnoredKey } from '@trust-broker/validation';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { RegistryDatabase, type Sql } from '../database/registry-database';
import { auditContext, stripUndefined, type AdminContext } from '../http/admin-request';
import { toPage, type Page, type PageRequest } from '../http/paging';
import { KeyRefreshQueue } from '../key-refresh/key-refresh.queue';
import { recordAdminChange, recordTrustChange, type TrustChangeInput } from '../outbox/outbox.writer';
import { presentKeyStatus, type KeyStatusView } from '../party-keys/key-status.presenter';
import { KeyRefresherService } from '../party-keys/key-refresher.service';
import { checkOutboundUrl } from '../party-keys/outbound-url';
import { PartyKeysRepository } from '../party-keys/party-keys.repository';
import { checkInlineJwks, type CheckedJwks } from '../party-keys/public-jwks';
import { IssuersRepository } from '../issuers/issuers.repository';
import { presentClient, presentRevocation, type ClientWithSecret, type RevocationResource } from './client.presenter';
import {
  ASSERTION_AUTH_METHODS,
  ASSERTION_METHODS,
  CLIENT_DEFAULTS,
  SECRET_METHODS,
  type AssertionRevocationBody,
  type AuthMethod,
  type CreateClientBody,
  type UpdateClientBody,
} from './client.schemas';
import { ClientError } from './clients.errors';
import { CLIENT_SETTINGS, ClientsRepository, type ClientSettings } from './clients.repository';

/** A client's settings before the checks: `jwks` as the body gave it. */
type ClientDraft = Omit<ClientSettings, 'jwks'> & { jwks: Record<string, unknown> | null };

/**
 * Random bytes of a generated secret. A client_secret_jwt secret is an HMAC key whose
 * octets are the secret's text (RFC 7523 §2.2, OIDC Core §10.1): 64 random bytes give 86
 * characters, enough for HS512 (RFC 7518 §3.2: at least 64 bytes); the others keep 256 bits.
 */
function generateSecretFor(method: AuthMethod): string {
  return generateSecret(method === 'client_secret_jwt' ? 64 : 32);
}

/** Longest single-use client assertion; only reusable ones (an admin's choice) may live longer. */
const MAX_SINGLE_USE_LIFETIME_S = 86_400;

@Injectable()
export class ClientsService {
  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly database: RegistryDatabase,
    private readonly clients: ClientsRepository,
    private readonly issuers: IssuersRepository,
    private readonly partyKeys: PartyKeysRepository,
    private readonly refresher: KeyRefresherService,
    private readonly refreshQueue: KeyRefreshQueue,
  ) {}

  async create(body: CreateClientBody, admin: AdminContext): Promise<ClientWithSecret> {
    const { client_id: requestedId, ...fields } = body;
    const clientId = requestedId ?? randomUUID();
    const { settings, ignoredKeys } = this.checkSettings({ ...CLIENT_DEFAULTS, introspection_audiences: [clientId], ...stripUndefined(fields) });
    const secret = SECRET_METHODS.has(settings.token_endpoint_auth_method) ? generateSecretFor(settings.token_endpoint_auth_method) : null;
    const row = await this.database.transaction(async (tx) => {
      await this.checkFederatedIssuers(tx, settings.federated_credentials);
      const created = await this.clients.insert(tx, clientId, secret === null ? null : this.encrypt(clientId, secret), settings);
      if (!created) throw new ClientError('client_already_registered', `client_id: "${clientId}" is already registered`);
      await this.writeKeySource(tx, created, null, ignoredKeys);
      await recordAdminChange(tx, [{ entity: 'client', id: clientId, version: created.version, op: 'upsert' }], { ...auditContext(admin), action: 'created', client_id: clientId, details: { before: null, after: presentClient(created) } });
      return created;
    });
    if (row.jwks_uri !== null) void this.refreshQueue.requestRefresh('client', clientId, 'forced', admin.requestId);
    return { ...presentClient(row), ...(secret === null ? {} : { client_secret: secret }) };
  }

  async list(page: PageRequest): Promise<Page<ClientResource>> {
    const rows = await this.clients.page(this.database, page);
    return toPage(rows, page.limit, (row) => row.client_id, presentClient);
  }

  async get(clientId: string): Promise<ClientResource> {
    return presentClient(await this.find(this.database, clientId));
  }

  async update(clientId: string, patch: UpdateClientBody, admin: AdminContext): Promise<ClientWithSecret> {
    const { row, secret, keysChanged } = await this.database.transaction(async (tx) => {
      const current = await this.find(tx, clientId, true);
      const changesKeySource = patch.jwks !== undefined || patch.jwks_uri !== undefined;
      const { settings, ignoredKeys } = this.checkSettings({
        ...CLIENT_SETTINGS.pick(current),
        introspection_audiences: current.introspection_audiences ?? [current.client_id],
        ...stripUndefined(patch),
        // A patch that names a key source replaces the source.
        ...(changesKeySource ? { jwks: patch.jwks ?? null, jwks_uri: patch.jwks_uri ?? null } : {}),
        // A client that leaves federated_jwt leaves its federated credentials behind.
        ...(patch.token_endpoint_auth_method !== undefined && patch.token_endpoint_auth_method !== 'federated_jwt' && patch.federated_credentials === undefined
          ? { federated_credentials: null }
          : {}),
      });
      if (patch.federated_credentials !== undefined) await this.checkFederatedIssuers(tx, settings.federated_credentials);
      const needsSecret = SECRET_METHODS.has(settings.token_endpoint_auth_method);
      // A secret is generated when a client moves to a secret method, dropped when it leaves them.
      const secret = needsSecret && current.secret_ciphertext === null ? generateSecretFor(settings.token_endpoint_auth_method) : null;
      const ciphertext = needsSecret ? (secret === null ? current.secret_ciphertext : this.encrypt(clientId, secret)) : null;
      if (secret === null && ciphertext !== null) this.checkKeptSecretFitsAlgorithm(clientId, ciphertext, settings);
      const updated = await this.clients.update(tx, clientId, ciphertext, settings);
      const keysChanged = await this.writeKeySource(tx, updated, current, ignoredKeys);
      if (!keysChanged && patch.jwks && updated.jwks) await this.partyKeys.writeInlineIgnored(tx, 'client', clientId, ignoredKeys);
      await recordAdminChange(tx, [{ entity: 'client', id: clientId, version: updated.version, op: 'upsert' }], {
        ...auditContext(admin),
        action: 'updated',
        client_id: clientId,
        details: { before: presentClient(current), after: presentClient(updated), secret_generated: secret !== null },
      });
      return { row: updated, secret, keysChanged };
    });
    if (keysChanged && row.jwks_uri !== null) void this.refreshQueue.requestRefresh('client', clientId, 'forced', admin.requestId);
    return { ...presentClient(row), ...(secret === null ? {} : { client_secret: secret }) };
  }

  async remove(clientId: string, admin: AdminContext): Promise<void> {
    await this.database.transaction(async (tx) => {
      const current = await this.find(tx, clientId, true);
      await this.clients.delete(tx, clientId);
      const keysVersion = await this.partyKeys.delete(tx, 'client', clientId);
      const changes: TrustChangeInput[] = [{ entity: 'client', id: clientId, version: current.version + 1, op: 'delete' }];
      if (keysVersion !== null) changes.push({ entity: 'client_keys', id: clientId, version: keysVersion, op: 'delete' });
      await recordAdminChange(tx, changes, { ...auditContext(admin), action: 'deleted', client_id: clientId, details: { before: presentClient(current), after: null } });
    });
  }

  /** A new secret replaces the old one; the trust change makes token-service drop the old within seconds. */
  async rotateSecret(clientId: string, admin: AdminContext): Promise<{ client_id: string; client_secret: string }> {
    const secret = await this.database.transaction(async (tx) => {
      const current = await this.find(tx, clientId, true);
      if (!SECRET_METHODS.has(current.token_endpoint_auth_method)) {
        throw new ClientError('method_has_no_secret', `token_endpoint_auth_method: client ${clientId} uses ${current.token_endpoint_auth_method}, which has no secret`);
      }
      const secret = generateSecretFor(current.token_endpoint_auth_method);
      const { version } = await this.clients.updateSecret(tx, clientId, this.encrypt(clientId, secret));
      await recordAdminChange(tx, [{ entity: 'client', id: clientId, version, op: 'upsert' }], { ...auditContext(admin), action: 'secret_rotated', client_id: clientId, details: { version } });
      return secret;
    });
    return { client_id: clientId, client_secret: secret };
  }

  async revokeAssertion(clientId: string, body: AssertionRevocationBody, admin: AdminContext): Promise<RevocationResource> {
    const row = await this.database.transaction(async (tx) => {
      const client = await this.find(tx, clientId, true);
      if (!ASSERTION_AUTH_METHODS.has(client.token_endpoint_auth_method)) {
        throw new ClientError('method_has_no_assertions', `token_endpoint_auth_method: client ${clientId} uses ${client.token_endpoint_auth_method}, which has no client assertions`);
      }
      const revocation = await this.clients.insertRevocation(tx, clientId, { jti: body.jti ?? null, kid: body.kid ?? null });
      if (!revocation) throw new ClientError('assertion_already_revoked', `${body.jti !== undefined ? 'jti' : 'kid'}: already revoked for client ${clientId}`);
      await recordAdminChange(tx, [{ entity: 'assertion_revocation', id: clientId, version: Number(revocation.seq), op: 'upsert' }], {
        ...auditContext(admin),
        action: 'assertion_revoked',
        client_id: clientId,
        kid: revocation.kid,
        // The jti only as its hash: an audit event never holds an assertion's identifiers in clear.
        details: { revocation_id: revocation.id, by: revocation.jti !== null ? 'jti' : 'kid', jti_sha256: revocation.jti === null ? null : sha256Hex(revocation.jti) },
      });
      return revocation;
    });
    return presentRevocation(row);
  }

  async keyStatus(clientId: string): Promise<KeyStatusView> {
    await this.find(this.database, clientId);
    const keys = await this.partyKeys.read(this.database, 'client', clientId);
    if (!keys) throw new ClientError('client_keys_not_found', `client ${clientId} has no keys (it does not use private_key_jwt)`);
    return presentKeyStatus(keys);
  }

  async refreshKeys(clientId: string, admin: AdminContext): Promise<KeyStatusView> {
    await this.find(this.database, clientId);
    const keys = await this.refresher.refresh('client', clientId, 'forced', admin);
    if (!keys) throw new ClientError('client_keys_not_found', `client ${clientId} has no keys (it does not use private_key_jwt)`);
    return presentKeyStatus(keys);
  }

  private async find(sql: Sql, clientId: string, forUpdate = false): Promise<ClientRow> {
    const row = await this.clients.find(sql, clientId, forUpdate);
    if (!row) throw new ClientError('client_not_found', `no client with client_id ${clientId.slice(0, 64)}`);
    return row;
  }

  /** Writes the party_keys row the client's method needs; true when its keys changed. */
  private async writeKeySource(tx: Sql, row: ClientRow, before: ClientRow | null, ignoredKeys: readonly IgnoredKey[]): Promise<boolean> {
    const unchanged = before !== null && JSON.stringify(before.jwks) === JSON.stringify(row.jwks) && before.jwks_uri === row.jwks_uri && before.token_endpoint_auth_method === row.token_endpoint_auth_method;
    if (unchanged) return false;
    if (row.token_endpoint_auth_method !== 'private_key_jwt') {
      const version = await this.partyKeys.delete(tx, 'client', row.client_id);
      if (version !== null) await recordTrustChange(tx, { entity: 'client_keys', id: row.client_id, version, op: 'delete' });
      return version !== null;
    }
    const version = row.jwks
      ? await this.partyKeys.writeInline(tx, 'client', row.client_id, row.jwks, ignoredKeys)
      : await this.partyKeys.writeRemoteSource(tx, 'client', row.client_id, 'jwks_uri', row.jwks_uri);
    await recordTrustChange(tx, { entity: 'client_keys', id: row.client_id, version, op: 'upsert' });
    return true;
  }

  private checkSettings(settings: ClientDraft): { settings: ClientSettings; ignoredKeys: IgnoredKey[] } {
    const method: AuthMethod = settings.token_endpoint_auth_method;
    let inline: CheckedJwks | null = null;
    if (method === 'private_key_jwt') {
      const sources = Number(settings.jwks !== null) + Number(settings.jwks_uri !== null);
      if (sources === 0) throw new ClientError('key_source_missing', 'jwks: private_key_jwt needs one key source: jwks or jwks_uri');
      if (sources > 1) throw new ClientError('key_source_ambiguous', 'jwks: give exactly one key source: jwks or jwks_uri');
      if (settings.jwks !== null) inline = checkInlineJwks(settings.jwks);
      if (settings.jwks_uri !== null) checkOutboundUrl(settings.jwks_uri, 'jwks_uri', this.config.outbound);
    } else if (settings.jwks !== null || settings.jwks_uri !== null) {
      throw new ClientError('keys_need_private_key_jwt', `${settings.jwks !== null ? 'jwks' : 'jwks_uri'}: only private_key_jwt clients have keys (this one uses ${method})`);
    }
    const alg = settings.token_endpoint_auth_signing_alg;
    if (alg !== null) {
      if (method === 'private_key_jwt' && !isAsymmetricAlgorithm(alg)) throw new ClientError('signing_alg_mismatch', 'token_endpoint_auth_signing_alg: private_key_jwt needs an asymmetric algorithm');
      if (method === 'client_secret_jwt' && !isHmacAlgorithm(alg)) throw new ClientError('signing_alg_mismatch', 'token_endpoint_auth_signing_alg: client_secret_jwt needs an HMAC algorithm (HS256, HS384, HS512)');
      if (!ASSERTION_METHODS.has(method)) throw new ClientError('signing_alg_mismatch', `token_endpoint_auth_signing_alg: only for private_key_jwt and client_secret_jwt (this client uses ${method})`);
    }
    if (settings.client_assertion_reuse && !ASSERTION_AUTH_METHODS.has(method)) {
      throw new ClientError('assertion_reuse_not_applicable', `client_assertion_reuse: only for private_key_jwt, client_secret_jwt and federated_jwt (this client uses ${method})`);
    }
    if (method === 'federated_jwt' && (settings.federated_credentials ?? []).length === 0) {
      throw new ClientError('federated_credentials_missing', 'federated_credentials: federated_jwt needs 1 to 20 credentials ({"issuer", "subject"})');
    }
    if (method !== 'federated_jwt' && settings.federated_credentials !== null) {
      throw new ClientError('federated_credentials_not_applicable', `federated_credentials: only for federated_jwt (this client uses ${method})`);
    }
    if (!settings.client_assertion_reuse && settings.client_assertion_max_lifetime_s > MAX_SINGLE_USE_LIFETIME_S) {
      throw new ClientError('assertion_lifetime_too_long', `client_assertion_max_lifetime_s: at most ${MAX_SINGLE_USE_LIFETIME_S} unless client_assertion_reuse is true`);
    }
    // RFC 6749 §4.4: client_credentials is for confidential clients only.
    if (method === 'none' && settings.grant_types.includes('client_credentials')) {
      throw new ClientError('client_credentials_needs_authentication', 'grant_types: client_credentials needs an authenticated client (token_endpoint_auth_method none cannot use it)');
    }
    return { settings: { ...settings, jwks: inline?.jwks ?? null }, ignoredKeys: inline?.ignored ?? [] };
  }

  /**
   * A client that keeps its secret while its method or algorithm changes: an HMAC key
   * shorter than the hash of its algorithm is refused (RFC 7518 §3.2). Without a fixed
   * algorithm the token service refuses, per assertion, an `alg` the secret is too short for.
   */
  private checkKeptSecretFitsAlgorithm(clientId: string, ciphertext: string, settings: ClientSettings): void {
    const alg = settings.token_endpoint_auth_signing_alg;
    if (settings.token_endpoint_auth_method !== 'client_secret_jwt' || alg === null) return;
    const secretBytes = Buffer.byteLength(decryptSecret(this.config.keyEncryptionKey, ciphertext, `client_secret:${clientId}`), 'utf8');
    const needed = minHmacSecretBytes(alg);
    if (secretBytes < needed) {
      throw new ClientError(
        'secret_too_short',
        `token_endpoint_auth_signing_alg: ${alg} needs a secret of at least ${needed} bytes (RFC 7518 §3.2) and this client's has ${secretBytes}; rotate the secret (POST /v1/clients/${clientId}/secret) first`,
      );
    }
  }

  /**
   * CONTRACT.md: a federated credential names a registered trusted issuer (by its exact
   * `iss`), else 400 naming the field. Read in the write's transaction; a later delete of
   * the issuer does not touch the client, whose credential then authenticates nobody.
   */
  private async checkFederatedIssuers(tx: Sql, credentials: readonly FederatedCredential[] | null): Promise<void> {
    if (credentials === null || credentials.length === 0) return;
    const registered = await this.issuers.registered(tx, credentials.map((c) => c.issuer));
    const index = credentials.findIndex((c) => !registered.has(c.issuer));
    if (index >= 0) {
      throw new ClientError('federated_issuer_unknown', `federated_credentials[${index}].issuer: "${credentials[index]!.issuer.slice(0, 256)}" is not a registered trusted issuer`);
    }
  }

  private encrypt(clientId: string, secret: string): string {
    return encryptSecret(this.config.keyEncryptionKey, secret, `client_secret:${clientId}`);
  }
}
