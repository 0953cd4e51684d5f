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

/** The audit-event fields of an admin request. */
export function auditContext(admin: AdminContext): { actor: string | null; request_id: string | null; remote_addr: string | null } {
  return { actor: admin.actor, request_id: admin.requestId, remote_addr: admin.remoteAddr };
}

/** A body's fields that were given (undefined means "leave as is"): spread over defaults or a row, each keeps its type. */
export function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
