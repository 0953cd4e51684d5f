/**
 * `token.refresh_token_families` and `token.refresh_tokens` in SQL. Enforces:
 * - a token is found by its SHA-256 only, and its family with it;
 * - rotation is one transaction that first locks the family row, so every use of one
 *   family runs one after the other across replicas: the token is marked used only if it
 *   was unused (`used_at IS NULL`, read after the lock), and the new token is inserted;
 *   of two concurrent uses one rotates and the other finds the token used: reuse, which
 *   ends the family in the same locked transaction (RFC 9700 §4.14.2);
 * - a family revoked or past its absolute expiry rotates nothing;
 * - a token whose answer never reached the client (the audit event or the signing failed
 *   after the grant) is withdrawn: a new family is deleted, a rotation undone (its
 *   predecessor usable again), so a failure that answers 503 does not end the family;
 * - Postgres not answering is RefreshTokenStoreUnavailableError (503), never a pass.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefreshTokenStoreUnavailableError } from './refresh.errors';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from './refresh-token-secret';

export interface NewRefreshFamily {
  clientId: string | null;
  issuerId: string;
  issuer: string;
  /** The subject as the assertion stated it: re-checked against the issuer's `subjects` at each use. */
  assertionSubject: string;
  /** The access token's `sub` (after claim mappings). */
  subject: string;
  scopes: string[];
  audience: string[];
  mappedClaims: Record<string, unknown>;
  dpopJkt: string | null;
  grantType: string;
  lifetimeSeconds: number;
}

export interface RefreshFamily extends Omit<NewRefreshFamily, 'lifetimeSeconds'> {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export interface PresentedRefreshToken {
  family: RefreshFamily;
  /** Set once the token was rotated. */
  usedAt: Date | null;
}

export type Rotation =
  | { outcome: 'rotated'; refreshToken: string }
  | { outcome: 'reused' }
  | { outcome: 'family_ended'; why: 'revoked' | 'expired' };

export type FamilyOwner = { clientId: string } | { issuerId: string };

interface FamilyRow {
  id: string;
  client_id: string | null;
  issuer_id: string;
  issuer: string;
  assertion_subject: string;
  subject: string;
  scopes: string[];
  audience: string[];
  mapped_claims: Record<string, unknown>;
  dpop_jkt: string | null;
  grant_type: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

@Injectable()
export class RefreshTokenStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Starts a family with its first token; returns the token (the only time it exists in clear). */
  async startFamily(family: NewRefreshFamily): Promise<{ refreshToken: string; familyId: string }> {
    const { token, hash } = newRefreshToken();
    const familyId = randomUUID();
    await this.run((manager) =>
      manager.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO token.refresh_token_families
             (id, client_id, issuer_id, issuer, assertion_subject, subject, scopes, audience, mapped_claims, dpop_jkt, grant_type, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(secs => $12))`,
          [
            familyId,
            family.clientId,
            family.issuerId,
            family.issuer,
            family.assertionSubject,
            family.subject,
            family.scopes,
            family.audience,
            JSON.stringify(family.mappedClaims),
            family.dpopJkt,
            family.grantType,
            family.lifetimeSeconds,
          ],
        );
        await tx.query('INSERT INTO token.refresh_tokens (token_hash, family_id) VALUES ($1, $2)', [hash, familyId]);
      }),
    );
    return { refreshToken: token, familyId };
  }

  /** The presented token and its family, or undefined when it is not one of ours. */
  async find(token: string): Promise<PresentedRefreshToken | undefined> {
    if (!looksLikeRefreshToken(token)) return undefined;
    const rows: (FamilyRow & { used_at: Date | null })[] = await this.run((manager) =>
      manager.query(
        `SELECT f.*, t.used_at FROM token.refresh_tokens t JOIN token.refresh_token_families f ON f.id = t.family_id WHERE t.token_hash = $1`,
        [hashRefreshToken(token)],
      ),
    );
    const row = rows[0];
    return row ? { family: toFamily(row), usedAt: row.used_at } : undefined;
  }

  /** Uses `token` once: a new token of the same family, or reuse (the family ends), or a family that has ended. */
  async rotate(token: string, familyId: string): Promise<Rotation> {
    return this.run((manager) =>
      manager.transaction(async (tx) => {
        const [family] = (await tx.query(
          `SELECT revoked_at, expires_at <= now() AS expired FROM token.refresh_token_families WHERE id = $1 FOR UPDATE`,
          [familyId],
        )) as { revoked_at: Date | null; expired: boolean }[];
        if (!family || family.revoked_at !== null) return { outcome: 'family_ended', why: 'revoked' } as const;
        const used = (await tx.query(
          `UPDATE token.refresh_tokens SET used_at = now() WHERE token_hash = $1 AND family_id = $2 AND used_at IS NULL RETURNING family_id`,
          [hashRefreshToken(token), familyId],
        )) as [unknown[], number];
        if (used[1] === 0) {
          await endFamily(tx, familyId, 'refresh_token_reused');
          return { outcome: 'reused' } as const;
        }
        if (family.expired) return { outcome: 'family_ended', why: 'expired' } as const;
        const next = newRefreshToken();
        await tx.query('INSERT INTO token.refresh_tokens (token_hash, family_id, previous_hash) VALUES ($1, $2, $3)', [next.hash, familyId, hashRefreshToken(token)]);
        await tx.query('UPDATE token.refresh_token_families SET last_used_at = now() WHERE id = $1', [familyId]);
        return { outcome: 'rotated', refreshToken: next.token } as const;
      }),
    );
  }

  /**
   * Takes back a token issued by this request that the client never received: the first
   * token of a family deletes the family; a rotated one makes its predecessor unused again.
   * Only while the token is unused and its family alive (a concurrent reuse stays ended).
   */
  async withdraw(token: string): Promise<void> {
    await this.run((manager) =>
      manager.transaction(async (tx) => {
        const [issued] = (await tx.query('SELECT family_id, previous_hash FROM token.refresh_tokens WHERE token_hash = $1', [hashRefreshToken(token)])) as {
          family_id: string;
          previous_hash: Buffer | null;
        }[];
        if (!issued) return;
        const [family] = (await tx.query('SELECT revoked_at FROM token.refresh_token_families WHERE id = $1 FOR UPDATE', [issued.family_id])) as { revoked_at: Date | null }[];
        if (!family || family.revoked_at !== null) return;
        if (issued.previous_hash === null) {
          await tx.query('DELETE FROM token.refresh_token_families WHERE id = $1', [issued.family_id]);
          return;
        }
        const [, deleted] = (await tx.query('DELETE FROM token.refresh_tokens WHERE token_hash = $1 AND used_at IS NULL', [hashRefreshToken(token)])) as [unknown[], number];
        if (deleted === 1) await tx.query('UPDATE token.refresh_tokens SET used_at = NULL WHERE token_hash = $1', [issued.previous_hash]);
      }),
    );
  }

  /** Ends one family; false when it had already ended. */
  async revokeFamily(familyId: string, reason: string): Promise<boolean> {
    return this.run((manager) => endFamily(manager, familyId, reason));
  }

  /** The families of a client or an issuer that can still be used (not revoked, not expired), newest first. */
  async listActiveFamilies(owner: FamilyOwner, limit: number): Promise<RefreshFamily[]> {
    const [column, value] = ownerColumn(owner);
    const rows: FamilyRow[] = await this.run((manager) =>
      manager.query(
        `SELECT * FROM token.refresh_token_families WHERE ${column} = $1 AND revoked_at IS NULL AND expires_at > now()
         ORDER BY created_at DESC, id LIMIT $2`,
        [value, limit],
      ),
    );
    return rows.map(toFamily);
  }

  /** Ends every active family of a client or an issuer; returns the ids ended. */
  async revokeFamiliesOf(owner: FamilyOwner, reason: string): Promise<string[]> {
    const [column, value] = ownerColumn(owner);
    // TypeORM answers an UPDATE with [rows, count].
    const [rows] = (await this.run((manager) =>
      manager.query(
        `UPDATE token.refresh_token_families SET revoked_at = now(), revoked_reason = $2
         WHERE ${column} = $1 AND revoked_at IS NULL AND expires_at > now() RETURNING id`,
        [value, reason],
      ),
    )) as [{ id: string }[], number];
    return rows.map((row) => row.id);
  }

  private async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await work(this.dataSource.manager);
    } catch (cause) {
      throw new RefreshTokenStoreUnavailableError((cause as Error).message, cause);
    }
  }
}

async function endFamily(manager: EntityManager, familyId: string, reason: string): Promise<boolean> {
  const result = (await manager.query(
    `UPDATE token.refresh_token_families SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
    [familyId, reason],
  )) as [unknown[], number];
  return result[1] > 0;
}

function ownerColumn(owner: FamilyOwner): ['client_id' | 'issuer_id', string] {
  return 'clientId' in owner ? ['client_id', owner.clientId] : ['issuer_id', owner.issuerId];
}

function toFamily(row: FamilyRow): RefreshFamily {
  return {
    id: row.id,
    clientId: row.client_id,
    issuerId: row.issuer_id,
    issuer: row.issuer,
    assertionSubject: row.assertion_subject,
    subject: row.subject,
    scopes: row.scopes,
    audience: row.audience,
    mappedClaims: row.mapped_claims ?? {},
    dpopJkt: row.dpop_jkt,
    grantType: row.grant_type,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}
