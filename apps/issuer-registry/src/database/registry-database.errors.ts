/** Postgres could not be reached: the one filter answers the kind 503 `temporarily_unavailable` with `Retry-After`, never a 500. */
import { domainErrors } from '../registry-error';

export class RegistryDatabaseError extends domainErrors({
  dependency_unavailable: ['database_unavailable'],
}) {}
