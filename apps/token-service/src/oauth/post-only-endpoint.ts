/**
 * The OAuth endpoints take POST with a form body only (RFC 6749 §3.2, RFC 7009 §2.1,
 * RFC 7662 §2.1). A controller that extends PostOnlyEndpoint answers GET (and so HEAD),
 * PUT, PATCH and DELETE on its path with 405 `invalid_request` and `Allow: POST`.
 */
import { Delete, Get, Patch, Put } from '@nestjs/common';
import { OAuthError } from './oauth-error';

export abstract class PostOnlyEndpoint {
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

function methodNotAllowed(): OAuthError {
  return new OAuthError('invalid_request', 'this endpoint takes POST with a form body only', 'method_not_allowed', { Allow: 'POST' }, 405);
}
