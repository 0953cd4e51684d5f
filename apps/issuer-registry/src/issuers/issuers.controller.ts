/** `/v1/issuers`: trusted issuers of JWT grants (CONTRACT.md, "Trusted issuers"). */
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Admin, type AdminContext } from '../http/admin-request';
import { AdminGuard } from '../http/admin.guard';
import { AdminRoute, ListQuery } from '../http/api-docs';
import { openApiSchema } from '../http/openapi-schema';
import { PageQuerySchema, toPageRequest, type PageQuery } from '../http/paging';
import { ZodPipe } from '../http/zod-body.pipe';
import { checkExpressions, type ExpressionCheckResult } from './issuer-expressions';
import { CreateIssuerSchema, ExpressionCheckSchema, UpdateIssuerSchema, type CreateIssuerBody, type ExpressionCheckBody, type UpdateIssuerBody } from './issuer.schemas';
import { IssuersService } from './issuers.service';

@ApiTags('issuers')
@AdminRoute()
@UseGuards(AdminGuard)
@Controller('v1/issuers')
export class IssuersController {
  constructor(private readonly issuers: IssuersService) {}

  @Post()
  @ApiOperation({ summary: 'Register a trusted issuer' })
  @ApiBody({ schema: openApiSchema(CreateIssuerSchema) })
  @ApiResponse({ status: 201, description: 'the created issuer, with its id' })
  @ApiResponse({ status: 409, description: 'the issuer is already registered' })
  create(@Body(new ZodPipe(CreateIssuerSchema)) body: CreateIssuerBody, @Admin() admin: AdminContext) {
    return this.issuers.create(body, admin);
  }

  @Post('expressions/check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a condition and claim mappings as POST /v1/issuers would, without saving',
    description:
      'Runs the registry\'s own field rules and CEL compiler (the admin console calls it as an admin types). ' +
      'Answers 200 with `valid` and every problem found, each worded as the 400 of POST /v1/issuers would word it.',
  })
  @ApiBody({ schema: openApiSchema(ExpressionCheckSchema) })
  @ApiResponse({
    status: 200,
    description: 'the problems found, if any',
    schema: {
      type: 'object',
      required: ['valid', 'problems'],
      properties: {
        valid: { type: 'boolean' },
        problems: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'error_description'],
            properties: { field: { type: 'string', example: 'claim_mappings.email' }, error_description: { type: 'string' } },
          },
        },
      },
    },
  })
  checkExpressions(@Body(new ZodPipe(ExpressionCheckSchema)) body: ExpressionCheckBody): ExpressionCheckResult {
    return checkExpressions(body);
  }

  @Get()
  @ApiOperation({ summary: 'List trusted issuers, oldest first' })
  @ListQuery()
  list(@Query(new ZodPipe(PageQuerySchema, 'query')) query: PageQuery) {
    return this.issuers.list(toPageRequest(query));
  }

  @Get(':id')
  @ApiResponse({ status: 404, description: 'no such issuer' })
  get(@Param('id') id: string) {
    return this.issuers.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an issuer; a patch that names a key source replaces the source' })
  @ApiBody({ schema: openApiSchema(UpdateIssuerSchema) })
  @ApiResponse({ status: 404, description: 'no such issuer' })
  update(@Param('id') id: string, @Body(new ZodPipe(UpdateIssuerSchema)) body: UpdateIssuerBody, @Admin() admin: AdminContext) {
    return this.issuers.update(id, body, admin);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'deleted' })
  async remove(@Param('id') id: string, @Admin() admin: AdminContext): Promise<void> {
    await this.issuers.remove(id, admin);
  }

  @Get(':id/jwks')
  @ApiOperation({ summary: 'The keys held now, when and where from, and the last fetch error' })
  keyStatus(@Param('id') id: string) {
    return this.issuers.keyStatus(id);
  }

  @Post(':id/jwks/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: "Fetch the issuer's keys now; answers the resulting key status" })
  refreshKeys(@Param('id') id: string, @Admin() admin: AdminContext) {
    return this.issuers.refreshKeys(id, admin);
  }
}
