/**
 * `/v1/clients/{client_id}/refresh-tokens` and `/v1/issuers/{id}/refresh-tokens` (issue
 * 23): the usable refresh-token families of a client or a trusted issuer, listed and
 * revoked. The families live in token-service's schema; the registry reaches them only
 * through the functions `@trust-broker/contracts` token-schema.ts names (see the service).
 */
import { Controller, Delete, Get, HttpCode, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Admin, type AdminContext } from '../http/admin-request';
import { AdminGuard } from '../http/admin.guard';
import { AdminRoute, ListQuery } from '../http/api-docs';
import { PageQuerySchema, toPageRequest, type PageQuery } from '../http/paging';
import { ZodPipe } from '../http/zod-body.pipe';
import { RefreshTokensService } from './refresh-tokens.service';

const FAMILY_DESCRIPTION =
  '{"items": [{"id", "client_id", "issuer_id", "issuer", "subject", "scope", "dpop_bound", "created_at", "expires_at", "last_used_at"}], "next_cursor"}: ' +
  'each item is one family (the refresh tokens one grant started and their rotations), usable now: not revoked, before its absolute end ' +
  "(the issuer's refresh_token_ttl_s from the first grant). Never a token or its hash. The families are token-service's; " +
  'the registry reads them through the function token.active_refresh_families (packages/contracts token-schema.ts).';
const REVOKE_DESCRIPTION =
  '{"revoked": N, "family_ids": [...]}: every usable family ended at once (token-service refuses its tokens at their next use), ' +
  'through the function token.revoke_refresh_families, in the transaction that records one admin audit event ' +
  '(action refresh_tokens_revoked) per family ended. Revoking again answers revoked: 0.';

@ApiTags('refresh tokens')
@AdminRoute()
@UseGuards(AdminGuard)
@Controller('v1')
export class RefreshTokensController {
  constructor(private readonly refreshTokens: RefreshTokensService) {}

  @Get('clients/:client_id/refresh-tokens')
  @ApiOperation({ summary: "A client's usable refresh-token families, oldest first" })
  @ListQuery()
  @ApiResponse({ status: 200, description: FAMILY_DESCRIPTION })
  @ApiResponse({ status: 404, description: 'no such client' })
  listOfClient(@Param('client_id') clientId: string, @Query(new ZodPipe(PageQuerySchema, 'query')) query: PageQuery) {
    return this.refreshTokens.list('client', clientId, toPageRequest(query));
  }

  @Delete('clients/:client_id/refresh-tokens')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke every usable refresh-token family of a client" })
  @ApiResponse({ status: 200, description: REVOKE_DESCRIPTION })
  @ApiResponse({ status: 404, description: 'no such client' })
  revokeOfClient(@Param('client_id') clientId: string, @Admin() admin: AdminContext) {
    return this.refreshTokens.revokeAll('client', clientId, admin);
  }

  @Get('issuers/:id/refresh-tokens')
  @ApiOperation({ summary: "A trusted issuer's usable refresh-token families (its grants', for every client), oldest first" })
  @ListQuery()
  @ApiResponse({ status: 200, description: FAMILY_DESCRIPTION })
  @ApiResponse({ status: 404, description: 'no such issuer' })
  listOfIssuer(@Param('id') id: string, @Query(new ZodPipe(PageQuerySchema, 'query')) query: PageQuery) {
    return this.refreshTokens.list('issuer', id, toPageRequest(query));
  }

  @Delete('issuers/:id/refresh-tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke every usable refresh-token family of a trusted issuer' })
  @ApiResponse({ status: 200, description: REVOKE_DESCRIPTION })
  @ApiResponse({ status: 404, description: 'no such issuer' })
  revokeOfIssuer(@Param('id') id: string, @Admin() admin: AdminContext) {
    return this.refreshTokens.revokeAll('issuer', id, admin);
  }
}
