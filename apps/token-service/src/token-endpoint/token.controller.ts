import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import type { OAuthHttpRequest } from '../oauth-pipeline/oauth-http-request';
import { OAuthEndpointPipeline } from '../oauth-pipeline/oauth-endpoint-pipeline';
import { TokenEndpoint } from './token-endpoint';
import type { TokenResponseBody } from './token-request.types';

interface FastifyReplyLike {
  header(name: string, value: string): FastifyReplyLike;
}

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
  async token(@Req() request: OAuthHttpRequest, @Res({ passthrough: true }) reply: FastifyReplyLike): Promise<TokenResponseBody> {
    // RFC 6749 §5.1: tokens must not be cached.
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return this.pipeline.handle(this.tokenEndpoint, request);
  }
}
