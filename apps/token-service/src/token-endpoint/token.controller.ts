import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import type { OAuthHttpRequest } from '../oauth-pipeline/oauth-http-request';
import { OAuthEndpointPipeline } from '../oauth-pipeline/oauth-endpoint-pipeline';
import { TokenEndpoint } from './token-endpoint';
import { TOKEN_RESPONSE_SCHEMA, type TokenResponseBody } from './token-request.types';

/** RFC 6749 §3.2: POST only, form body; other methods are 405 `invalid_request`. */
@Controller('oauth2/token')
export class TokenController extends PostOnlyEndpoint {
  constructor(
    private readonly pipeline: OAuthEndpointPipeline,
    private readonly tokenEndpoint: TokenEndpoint,
  ) {
    super();
  }

  @Post()
  @HttpCode(200)
  // RFC 6749 §5.1: tokens must not be cached. Set by Nest before the handler runs (errors
  // it answers carry them too), without the reply as a parameter: one resolved per request less.
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  // Answers serialized by a compiled schema (fast-json-stringify) rather than JSON.stringify of the object.
  @RouteSchema({ response: { 200: TOKEN_RESPONSE_SCHEMA } })
  token(@Req() request: OAuthHttpRequest): Promise<TokenResponseBody> {
    return this.pipeline.handle(this.tokenEndpoint, request);
  }
}
