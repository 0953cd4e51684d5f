/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414 §3) and
 * `GET /.well-known/jwks.json` (RFC 7517 §5: public keys only). Both are public and
 * cacheable; the JWKS briefly (5 min), well inside the publish-ahead margin of a
 * `next` key, so caches see a new key before it signs.
 */
import { Controller, Get, Header, Inject } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import { buildAuthorizationServerMetadata, type AuthorizationServerMetadata } from './authorization-server-metadata';

export const JWKS_MAX_AGE_S = 300;

@Controller('.well-known')
export class DiscoveryController {
  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    private readonly signer: AccessTokenSigner,
  ) {}

  @Get('oauth-authorization-server')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_S}`)
  metadata(): AuthorizationServerMetadata {
    return buildAuthorizationServerMetadata(this.config.brokerIssuer, this.signer.algorithms);
  }

  @Get('jwks.json')
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_S}`)
  @Header('Content-Type', 'application/json; charset=utf-8')
  jwks(): { keys: Record<string, unknown>[] } {
    return this.signer.publicJwks();
  }
}
