/** `POST /oauth2/revoke` (RFC 7009 §2); other methods are `invalid_request` (405). */
import { Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
import { markTokenManagementRequestAudited } from '../token-management/rejected-token-management-request.audit';
import { RevocationService } from './revocation.service';
import type { OAuthHttpRequest } from '../token-management/token-management-request';

@Controller('oauth2/revoke')
export class RevocationController extends PostOnlyEndpoint {
  constructor(private readonly revocation: RevocationService) {
    super();
  }

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() request: OAuthHttpRequest): Promise<void> {
    markTokenManagementRequestAudited(request);
    await this.revocation.handle(request);
  }
}
