/**
 * Validates a request body (or query) with a strict zod schema. Failures are 400
 * `invalid_request` naming the field: `"<field>: <problem>"`.
 */
import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RequestError } from './request.errors';

@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S, private readonly root: 'body' | 'query' = 'body') {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value ?? (this.root === 'body' ? undefined : {}));
    if (result.success) return result.data;
    throw new RequestError(`${this.root}_invalid`, describeZodError(result.error, this.root));
  }
}

/** The first problem of a zod error, as `<field>: <problem>`. */
export function describeZodError(error: z.ZodError, root = 'body'): string {
  const issue = error.issues[0];
  if (!issue) return `${root}: invalid`;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${formatPath(issue.path)}.` : '';
    return `${issue.keys.map((key) => prefix + key).join(', ')}: unknown field`;
  }
  const field = issue.path.length > 0 ? formatPath(issue.path) : root;
  const received = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && received === undefined) return `${field}: required`;
  return `${field}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`)).join('');
}
