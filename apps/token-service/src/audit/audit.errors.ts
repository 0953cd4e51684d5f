import { DependencyUnavailableError } from '../oauth/dependency-unavailable';

/** The audit streams did not take an event: nothing may be issued (503). */
export class AuditUnavailableError extends DependencyUnavailableError {
  readonly dependency = 'audit_queue';
  readonly code = 'audit_unavailable';

  constructor(message: string, cause?: unknown) {
    super('audit queue', message, cause);
  }
}
