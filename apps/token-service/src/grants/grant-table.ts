/**
 * The grant table: one handler per `grant_type` (as oidc-provider's `registerGrantType`).
 * A new grant is one new file implementing GrantHandler and one line below; the token
 * endpoint dispatches by `grant_type` and names no grant, and RFC 8414 metadata lists
 * exactly these.
 */
import type { Type } from '@nestjs/common';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { CLIENT_CREDENTIALS_GRANT, JWT_BEARER_GRANT, REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT, type GrantHandler } from './grant.types';
import { JwtBearerGrant } from './jwt-bearer.grant';
import { RefreshTokenGrant } from './refresh-token.grant';
import { TokenExchangeGrant } from './token-exchange.grant';

export const GRANT_HANDLERS: Readonly<Record<string, Type<GrantHandler>>> = {
  [JWT_BEARER_GRANT]: JwtBearerGrant,
  [CLIENT_CREDENTIALS_GRANT]: ClientCredentialsGrant,
  [TOKEN_EXCHANGE_GRANT]: TokenExchangeGrant,
  [REFRESH_TOKEN_GRANT]: RefreshTokenGrant,
};

/** The grant types this broker supports (CONTRACT.md), in the table's order. */
export const SUPPORTED_GRANT_TYPES: readonly string[] = Object.keys(GRANT_HANDLERS);

/** The table's handlers as Nest built them (GrantsModule), looked up by `grant_type`. */
export class GrantTable {
  private readonly handlers: ReadonlyMap<string, GrantHandler>;

  constructor(entries: ReadonlyArray<readonly [grantType: string, handler: GrantHandler]>) {
    this.handlers = new Map(entries);
  }

  /** The handler of a supported grant type; `undefined` for any other value (never an inherited property). */
  find(grantType: string): GrantHandler | undefined {
    return this.handlers.get(grantType);
  }
}
