/** `POST /oauth2/revoke` (RFC 7009 §2); other methods are `invalid_request` (405). */
import { Controller, Delete, Get, Header, HttpCode, Patch, Post, Put, Req } from '@nestjs/common';
import { OAuthError } from '../oauth/oauth-error';
import { markTokenManagementRequestAudited } from './rejected-token-management-request.audit';
import { RevocationService } from './revocation.service';
import type { OAuthHttpRequest } from './token-management-request';

@Controller('oauth2/revoke')
export class RevocationController {
  constructor(private readonly revocation: RevocationService) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() request: OAuthHttpRequest): Promise<void> {
    markTokenManagementRequestAudited(request);
    await this.revocation.handle(request);
  }

  @Get()
  get(): never {
    throw methodNotAllowed();
  }

  @Put()
  put(): never {
    throw methodNotAllowed();
  }

  @Patch()
  patch(): never {
    throw methodNotAllowed();
  }

  @Delete()
  delete(): never {
    throw methodNotAllowed();
  }
}

/** Token-management endpoints take POST only (RFC 7009 §2.1, RFC 7662 §2.1). */
export function methodNotAllowed(): OAuthError {
  return new OAuthError('invalid_request', 'use POST with a form body', 'method_not_allowed', { Allow: 'POST' }, 405);
}
