/** The audit-worker did not answer a relayed audit read: the one filter answers the kind 503 `temporarily_unavailable` with `Retry-After`. */
import { domainErrors } from '../registry-error';

export class AuditRelayError extends domainErrors({
  dependency_unavailable: ['audit_api_unavailable'],
}) {}
