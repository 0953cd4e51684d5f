/** OpenAPI decorators shared by the admin controllers. */
import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiResponse } from '@nestjs/swagger';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  required: ['error', 'error_description'],
};

/** Every admin route: the bearer scheme, and its 401/503 answers. */
export function AdminRoute(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth('admin'),
    ApiResponse({ status: 400, description: 'invalid_request: the field and the problem', schema: errorSchema }),
    ApiResponse({ status: 401, description: 'no or wrong credential', schema: errorSchema }),
    ApiResponse({ status: 503, description: 'temporarily_unavailable: the database cannot be reached', schema: errorSchema }),
  );
}

export function ListQuery(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'limit', required: false, description: '1 to 100 (larger values are capped); default 50', schema: { type: 'integer' } }),
    ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page', schema: { type: 'string' } }),
  );
}
