/** `POST /oauth2/introspect` (RFC 7662 §2); the answer is never cached (`no-store`). */
import { Controller, Delete, Get, Header, HttpCode, Patch, Post, Put, Req } from '@nestjs/common';
import { markTokenManagementRequestAudited } from '../revocation/rejected-token-management-request.audit';
import { methodNotAllowed } from '../revocation/revocation.controller';
import type { OAuthHttpRequest } from '../revocation/token-management-request';
import { IntrospectionService, type IntrospectionResponse } from './introspection.service';

@Controller('oauth2/introspect')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async introspect(@Req() request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    markTokenManagementRequestAudited(request);
    return this.introspection.handle(request);
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
