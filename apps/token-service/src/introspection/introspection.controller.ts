/** `POST /oauth2/introspect` (RFC 7662 §2); the answer is never cached (`no-store`); other methods are 405. */
import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import { OAuthEndpointPipeline } from '../oauth-pipeline/oauth-endpoint-pipeline';
import type { OAuthHttpRequest } from '../oauth-pipeline/oauth-http-request';
import { IntrospectionEndpoint, type IntrospectionResponse } from './introspection.endpoint';

@Controller('oauth2/introspect')
export class IntrospectionController extends PostOnlyEndpoint {
  constructor(
    private readonly pipeline: OAuthEndpointPipeline,
    private readonly introspection: IntrospectionEndpoint,
  ) {
    super();
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async introspect(@Req() request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    return this.pipeline.handle(this.introspection, request);
  }
}
