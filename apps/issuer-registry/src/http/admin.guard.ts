/**
 * Every admin route: `Authorization: Bearer <ADMIN_API_KEY>` through service-kit's
 * constant-time guard, which also sets `request.actor` for audit events.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createAdminAuthGuard } from '@trust-broker/service-kit/nest';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';

@Injectable()
export class AdminGuard implements CanActivate {
  private readonly inner: CanActivate;

  constructor(@Inject(REGISTRY_CONFIG) config: RegistryConfig) {
    this.inner = createAdminAuthGuard(config.adminApiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    return this.inner.canActivate(context) as boolean;
  }
}
