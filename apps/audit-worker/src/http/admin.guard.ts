import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** The service-kit admin guard (bearer ADMIN_API_KEY, compared in constant time), as a provider. */
export const ADMIN_AUTH = Symbol('ADMIN_AUTH');

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(ADMIN_AUTH) private readonly adminAuth: CanActivate) {}

  canActivate(context: ExecutionContext): boolean {
    return this.adminAuth.canActivate(context) as boolean;
  }
}
