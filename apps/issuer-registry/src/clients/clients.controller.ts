/** `/v1/clients`: OAuth clients of the broker (CONTRACT.md, "Clients"). */
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Admin, type AdminContext } from '../http/admin-request';
import { AdminGuard } from '../http/admin.guard';
import { AdminRoute, ListQuery } from '../http/api-docs';
import { openApiSchema } from '../http/openapi-schema';
import { PageQuerySchema, toPageRequest, type PageQuery } from '../http/paging';
import { ZodPipe } from '../http/zod-body.pipe';
import {
  AssertionRevocationSchema,
  CreateClientSchema,
  UpdateClientSchema,
  type AssertionRevocationBody,
  type CreateClientBody,
  type UpdateClientBody,
} from './client.schemas';
import { ClientsService } from './clients.service';

@ApiTags('clients')
@AdminRoute()
@UseGuards(AdminGuard)
@Controller('v1/clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a client; secret methods get a generated client_secret, shown once' })
  @ApiBody({ schema: openApiSchema(CreateClientSchema) })
  @ApiResponse({ status: 201, description: 'the created client (with client_secret for secret-based methods)' })
  @ApiResponse({ status: 409, description: 'the client_id is taken' })
  create(@Body(new ZodPipe(CreateClientSchema)) body: CreateClientBody, @Admin() admin: AdminContext) {
    return this.clients.create(body, admin);
  }

  @Get()
  @ApiOperation({ summary: 'List clients, oldest first' })
  @ListQuery()
  list(@Query(new ZodPipe(PageQuerySchema, 'query')) query: PageQuery) {
    return this.clients.list(toPageRequest(query));
  }

  @Get(':client_id')
  @ApiResponse({ status: 404, description: 'no such client' })
  get(@Param('client_id') clientId: string) {
    return this.clients.get(clientId);
  }

  @Patch(':client_id')
  @ApiOperation({ summary: 'Change a client; a patch that names a key source replaces the source' })
  @ApiBody({ schema: openApiSchema(UpdateClientSchema) })
  update(@Param('client_id') clientId: string, @Body(new ZodPipe(UpdateClientSchema)) body: UpdateClientBody, @Admin() admin: AdminContext) {
    return this.clients.update(clientId, body, admin);
  }

  @Delete(':client_id')
  @HttpCode(204)
  async remove(@Param('client_id') clientId: string, @Admin() admin: AdminContext): Promise<void> {
    await this.clients.remove(clientId, admin);
  }

  @Post(':client_id/secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the client secret: answers the new one, once' })
  rotateSecret(@Param('client_id') clientId: string, @Admin() admin: AdminContext) {
    return this.clients.rotateSecret(clientId, admin);
  }

  @Post(':client_id/assertion-revocations')
  @ApiOperation({ summary: 'Refuse a client assertion (by jti) or every assertion signed with a key (by kid) from now on' })
  @ApiBody({ schema: openApiSchema(AssertionRevocationSchema) })
  @ApiResponse({ status: 201, description: 'the revocation' })
  revokeAssertion(@Param('client_id') clientId: string, @Body(new ZodPipe(AssertionRevocationSchema)) body: AssertionRevocationBody, @Admin() admin: AdminContext) {
    return this.clients.revokeAssertion(clientId, body, admin);
  }

  @Get(':client_id/jwks')
  @ApiOperation({ summary: 'The keys held now for a private_key_jwt client' })
  keyStatus(@Param('client_id') clientId: string) {
    return this.clients.keyStatus(clientId);
  }

  @Post(':client_id/jwks/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: "Fetch a client's jwks_uri now" })
  refreshKeys(@Param('client_id') clientId: string, @Admin() admin: AdminContext) {
    return this.clients.refreshKeys(clientId, admin);
  }
}
