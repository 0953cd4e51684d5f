/** `POST /oauth2/introspect` (RFC 7662 §2); the answer is never cached (`no-store`); other methods are 405. */
import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import { markTokenManagementRequestAudited } from '../token-management/rejected-token-management-request.audit';
import type { OAuthHttpRequest } from '../token-management/token-management-request';
import { IntrospectionService, type IntrospectionResponse } from './introspection.service';

@Controller('oauth2/introspect')
export class IntrospectionController extends PostOnlyEndpoint {
  constructor(private readonly introspection: IntrospectionService) {
    super();
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async introspect(@Req() request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    markTokenManagementRequestAudited(request);
    return this.introspection.handle(request);
  }
}
