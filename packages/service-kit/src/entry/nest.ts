/** `@trust-broker/service-kit/nest`: the Nest/Fastify HTTP app, health/readiness/metrics, the admin bearer guard. */
export { HealthModule, HealthController, ReadinessRegistry, type ReadinessCheck, type ReadinessOptions } from '../health';
export { createAdminAuthGuard, readBearer, ADMIN_API_KEY, type AuthenticatedRequest } from '../admin-auth';
export { createHttpApp, listen, type HttpAppOptions } from '../http-app';
