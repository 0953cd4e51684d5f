import { Controller, Delete, Get, HttpCode, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { OAuthError } from '../oauth/oauth-error';
import { markTokenRequestAudited } from './rejected-token-request.audit';
import { TokenEndpointService } from './token-endpoint.service';
import type { TokenResponseBody } from './token-request.types';

interface FastifyRequestLike {
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  id: string;
  ip: string;
}

interface FastifyReplyLike {
  header(name: string, value: string): FastifyReplyLike;
}

/** RFC 6749 §3.2: POST only, form body; other methods are 405 `invalid_request`. */
@Controller('oauth2')
export class TokenController {
  constructor(private readonly tokenEndpoint: TokenEndpointService) {}

  @Post('token')
  @HttpCode(200)
  async token(@Req() request: FastifyRequestLike, @Res({ passthrough: true }) reply: FastifyReplyLike): Promise<TokenResponseBody> {
    // RFC 6749 §5.1: tokens must not be cached.
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    markTokenRequestAudited(request);
    return this.tokenEndpoint.handle({
      body: request.body,
      contentType: single(request.headers['content-type']),
      authorization: single(request.headers.authorization),
      requestId: String(request.id),
      remoteAddr: request.ip,
    });
  }

  @Get('token')
  get(): never {
    throw methodNotAllowed();
  }

  @Put('token')
  put(): never {
    throw methodNotAllowed();
  }

  @Patch('token')
  patch(): never {
    throw methodNotAllowed();
  }

  @Delete('token')
  delete(): never {
    throw methodNotAllowed();
  }
}

function methodNotAllowed(): OAuthError {
  return new OAuthError('invalid_request', 'the token endpoint takes POST only', 'method_not_allowed', { Allow: 'POST' }, 405);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
