/**
 * The admin credential: `Authorization: Bearer <ADMIN_API_KEY>`, compared in constant
 * time. 401 without a credential or with a wrong one. The request gets an `actor`
 * (`admin-key:<fingerprint>`) for audit events: never the credential itself.
 */
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { constantTimeEqual, fingerprint } from '@trust-broker/secrets';
import { unauthorized } from './errors';

export const ADMIN_API_KEY = Symbol('ADMIN_API_KEY');

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  actor?: string;
}

/** Reads the bearer token of an Authorization header, or undefined. */
export function readBearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
  return match?.[1];
}

export function createAdminAuthGuard(adminApiKey: string): CanActivate {
  const expectedActor = `admin-key:${fingerprint(adminApiKey)}`;
  @Injectable()
  class AdminAuthGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
      const presented = readBearer(request.headers.authorization);
      if (presented === undefined) throw unauthorized('missing bearer credential');
      if (!constantTimeEqual(presented, adminApiKey)) throw unauthorized('invalid credential');
      request.actor = expectedActor;
      return true;
    }
  }
  return new AdminAuthGuard();
}
