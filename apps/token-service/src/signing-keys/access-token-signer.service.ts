/**
 * Signs and verifies the broker's access tokens (RFC 9068: header `typ: at+jwt`, `kid`,
 * `alg`) with keys held in memory, their private parts imported once.
 * - At start: brings the stored keys in line with the rotation schedule (creating the
 *   first key if there is none), then loads them; a key that does not decrypt with
 *   `KEY_ENCRYPTION_KEY` stops the start (fail closed).
 * - Every `reloadIntervalMs`: applies the schedule if something is due and reloads, so
 *   every replica picks up a rotation made by another; while Postgres is down it keeps
 *   the keys it holds.
 * - `sign` builds the compact JWS by hand with node:crypto, in one reused buffer (the hot
 *   path of the token endpoint: compact-jws-writer.ts); `verify` accepts only our own,
 *   unexpired tokens.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { decodeJsonSegment, splitCompactJws, verifyJwsSignature } from '@trust-broker/validation';
import type { AccessTokenClaims, AccessTokenSignerApi } from './access-token.types';
import { CompactJwsWriter } from './compact-jws-writer';
import { planRotation, type RotationAction, type RotationPolicy } from './key-rotation-plan';
import { generateSigningKeyRow, loadSigningKey, type LoadedSigningKey, type SigningKeyRow } from './signing-key';
import { SigningKeyMetrics } from './signing-key-metrics';
import { SigningKeyError } from './signing-keys.errors';
import { SIGNING_KEYS_DATA_SOURCE, SIGNING_KEYS_OPTIONS, type SigningKeysOptions } from './signing-keys.options';
import { SigningKeysRepository } from './signing-keys.repository';

/** Access tokens are small; anything longer is not one of ours and is not parsed. */
const MAX_TOKEN_LENGTH = 16_384;
/** Replicas' clocks may differ a little: tolerated for `iat`/`nbf` of our own tokens. */
const CLOCK_TOLERANCE_S = 5;
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt']);
const STATUS_ORDER = { active: 0, next: 1, retired: 2 } as const;

@Injectable()
export class AccessTokenSigner implements AccessTokenSignerApi, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AccessTokenSigner');
  private readonly repository: SigningKeysRepository;
  private readonly metrics = new SigningKeyMetrics();
  private readonly compactJws = new CompactJwsWriter();
  private readonly clock: () => number;
  private keys = new Map<string, LoadedSigningKey>();
  private activeKey: LoadedSigningKey | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tickRunning = false;

  constructor(
    @Inject(SIGNING_KEYS_OPTIONS) private readonly options: SigningKeysOptions,
    @Inject(SIGNING_KEYS_DATA_SOURCE) dataSource: DataSource,
  ) {
    this.repository = new SigningKeysRepository(dataSource);
    this.clock = options.clock ?? Date.now;
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /** Applies the schedule, loads the keys and starts the periodic reload. */
  async start(): Promise<void> {
    await this.reconcile(false);
    await this.reload();
    if (!this.activeKey) throw new SigningKeyError('no_active_signing_key', 'no active signing key after start');
    this.timer ??= setInterval(() => void this.tick(), this.options.reloadIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get algorithms(): readonly string[] {
    const algorithms = new Set<string>([this.options.algorithm]);
    for (const key of this.publishedKeys()) algorithms.add(key.alg);
    return [...algorithms];
  }

  /** The active key's `kid` (for logs and tests). */
  get activeKid(): string | undefined {
    return this.activeKey?.kid;
  }

  async sign(claims: AccessTokenClaims): Promise<string> {
    const key = this.activeKey;
    if (!key) throw new SigningKeyError('no_active_signing_key', 'no active signing key');
    this.assertLifetimeFitsRetention(claims);
    return this.compactJws.write(key, JSON.stringify(claims));
  }

  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    // The JWS core: strict base64url parts, a canonical signature, JSON without duplicate names.
    const parts = splitCompactJws(token);
    if (!parts) return undefined;
    const header = decodeJsonSegment(parts.headerSegment);
    if (!header || typeof header.kid !== 'string' || typeof header.typ !== 'string') return undefined;
    if (!ACCEPTED_TYP.has(header.typ.toLowerCase()) || header.crit !== undefined) return undefined;
    const key = this.keys.get(header.kid);
    if (!key || header.alg !== key.alg || !this.isPublished(key)) return undefined;
    if (!verifyJwsSignature(parts, key.alg, key.publicKey)) return undefined;
    const claims = decodeJsonSegment(parts.payloadSegment);
    return claims && this.areValidClaims(claims) ? (claims as AccessTokenClaims) : undefined;
  }

  publicJwks(): { keys: Record<string, unknown>[] } {
    return { keys: this.publishedKeys().map((key) => ({ ...key.publicJwk })) };
  }

  /** Rotates now (on demand): the `next` key, or a new one, signs from now on. */
  async rotate(): Promise<string> {
    await this.reconcile(true);
    await this.reload();
    if (!this.activeKey) throw new SigningKeyError('no_active_signing_key', 'no active signing key after rotation');
    return this.activeKey.kid;
  }

  /** One periodic step: never throws, keeps the keys in memory when Postgres fails. */
  async tick(): Promise<void> {
    if (this.tickRunning) return;
    this.tickRunning = true;
    try {
      if (planRotation([...this.keys.values()], this.now(), this.rotationPolicy()).length > 0) {
        await this.reconcile(false);
      }
      await this.reload();
    } catch (error) {
      this.logger.warn(`signing keys not refreshed, keeping the ${this.keys.size} held in memory: ${(error as Error).message}`);
    } finally {
      this.tickRunning = false;
    }
  }

  /** Reloads every stored key; imports only keys not held yet. */
  async reload(): Promise<void> {
    const rows = await this.repository.listKeys();
    const keys = new Map<string, LoadedSigningKey>();
    for (const row of rows) {
      const held = this.keys.get(row.kid);
      keys.set(row.kid, held ? withStoredState(held, row) : loadSigningKey(row, this.options.keyEncryptionKey));
    }
    const active = [...keys.values()].find((key) => key.status === 'active');
    this.keys = keys;
    this.metrics.recordKeys(this.publishedKeys().map((key) => key.status));
    if (active) {
      if (this.activeKey?.kid !== active.kid) this.logger.log(`signing with key ${active.kid} (${active.alg})`);
      this.activeKey = active;
    }
  }

  private async reconcile(forced: boolean): Promise<void> {
    await this.repository.withRotationLock(async (manager) => {
      const now = this.now();
      const rows = await this.repository.listKeys(manager);
      const actions = planRotation(rows.map(toKeyState), now, this.rotationPolicy(), forced);
      for (const action of actions) await this.apply(manager, action, now);
    });
  }

  private async apply(manager: Parameters<SigningKeysRepository['insertKey']>[0], action: RotationAction, now: Date): Promise<void> {
    const retireUntil = new Date(now.getTime() + this.rotationPolicy().retentionSeconds * 1000);
    switch (action.kind) {
      case 'create': {
        const row = await generateSigningKeyRow(this.options.algorithm, this.options.keyEncryptionKey, action.status, now);
        await this.repository.insertKey(manager, row);
        this.logger.log(`created ${action.status} signing key ${row.kid}`);
        return;
      }
      case 'promote':
        if (action.retireKid) await this.repository.retireKey(manager, action.retireKid, now, retireUntil);
        await this.repository.activateKey(manager, action.kid, now);
        this.metrics.recordRotation();
        this.logger.log(`rotated: ${action.kid} active${action.retireKid ? `, ${action.retireKid} retired` : ''}`);
        return;
      case 'create_and_promote': {
        await this.repository.retireKey(manager, action.retireKid, now, retireUntil);
        const row = await generateSigningKeyRow(this.options.algorithm, this.options.keyEncryptionKey, 'active', now);
        await this.repository.insertKey(manager, row);
        this.metrics.recordRotation();
        this.logger.log(`rotated: ${row.kid} active, ${action.retireKid} retired`);
        return;
      }
      case 'delete':
        await this.repository.deleteKey(manager, action.kid);
        this.logger.log(`retired signing key ${action.kid} left the JWKS`);
        return;
    }
  }

  private rotationPolicy(): RotationPolicy {
    const reloadSeconds = Math.ceil(this.options.reloadIntervalMs / 1000);
    return {
      rotationSeconds: this.options.rotationSeconds,
      publishAheadSeconds: this.options.publishAheadSeconds,
      // Tokens signed just before the rotation live `maxAccessTokenTtlSeconds`; a replica
      // that has not reloaded yet may sign with the old key for one more reload interval.
      retentionSeconds: this.options.maxAccessTokenTtlSeconds + 2 * reloadSeconds + 60,
      algorithm: this.options.algorithm,
    };
  }

  /** A token must not outlive the publication of the key that signed it. */
  private assertLifetimeFitsRetention(claims: AccessTokenClaims): void {
    if (!Number.isInteger(claims.exp) || !Number.isInteger(claims.iat)) {
      throw new SigningKeyError('invalid_access_token_claims', 'access token claims need integer exp and iat');
    }
    const nowSeconds = Math.floor(this.clock() / 1000);
    if (claims.exp - nowSeconds > this.options.maxAccessTokenTtlSeconds + CLOCK_TOLERANCE_S) {
      throw new SigningKeyError(
        'access_token_outlives_key',
        `access token lifetime exceeds the maximum of ${this.options.maxAccessTokenTtlSeconds} s`,
      );
    }
  }

  private areValidClaims(claims: Record<string, unknown>): boolean {
    const nowSeconds = Math.floor(this.clock() / 1000);
    if (claims.iss !== this.options.issuer) return false;
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return false;
    if (typeof claims.iat !== 'number' || claims.iat > nowSeconds + CLOCK_TOLERANCE_S) return false;
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > nowSeconds + CLOCK_TOLERANCE_S)) return false;
    return typeof claims.jti === 'string' && typeof claims.sub === 'string';
  }

  private publishedKeys(): LoadedSigningKey[] {
    return [...this.keys.values()]
      .filter((key) => this.isPublished(key))
      .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.createdAt.getTime() - a.createdAt.getTime());
  }

  private isPublished(key: LoadedSigningKey): boolean {
    return key.status !== 'retired' || (key.expiresAt !== null && key.expiresAt.getTime() > this.clock());
  }

  private now(): Date {
    return new Date(this.clock());
  }
}

function toKeyState(row: SigningKeyRow) {
  return { kid: row.kid, alg: row.alg, status: row.status, createdAt: row.created_at, activatedAt: row.activated_at, expiresAt: row.expires_at };
}

function withStoredState(key: LoadedSigningKey, row: SigningKeyRow): LoadedSigningKey {
  return { ...key, status: row.status, activatedAt: row.activated_at, retiredAt: row.retired_at, expiresAt: row.expires_at };
}

