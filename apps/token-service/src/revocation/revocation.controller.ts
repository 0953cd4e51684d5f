/** `POST /oauth2/revoke` (RFC 7009 §2); other methods are `invalid_request` (405). */
import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import { OAuthEndpointPipeline } from '../oauth-pipeline/oauth-endpoint-pipeline';
import type { OAuthHttpRequest } from '../oauth-pipeline/oauth-http-request';
import { RevocationEndpoint } from './revocation.endpoint';

@Controller('oauth2/revoke')
export class RevocationController extends PostOnlyEndpoint {
  constructor(
    private readonly pipeline: OAuthEndpointPipeline,
    private readonly revocation: RevocationEndpoint,
  ) {
    super();
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() request: OAuthHttpRequest): Promise<void> {
    await this.pipeline.handle(this.revocation, request);
  }
}
