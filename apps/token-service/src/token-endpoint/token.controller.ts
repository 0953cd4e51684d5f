import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { PostOnlyEndpoint } from '../oauth/post-only-endpoint';
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
@Controller('oauth2/token')
export class TokenController extends PostOnlyEndpoint {
  constructor(private readonly tokenEndpoint: TokenEndpointService) {
    super();
  }

  @Post()
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
      dpop: request.headers.dpop,
    });
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
