/** What an admin change records about its request in the audit event. */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

export interface AdminContext {
  actor: string | null;
  requestId: string | null;
  remoteAddr: string | null;
}

export const Admin = createParamDecorator((_data: unknown, context: ExecutionContext): AdminContext => {
  const request = context.switchToHttp().getRequest<{ actor?: string; id?: string; ip?: string }>();
  return { actor: request.actor ?? null, requestId: request.id ?? null, remoteAddr: request.ip ?? null };
});
