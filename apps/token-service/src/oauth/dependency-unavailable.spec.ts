import { AuditUnavailableError } from '../audit/audit.errors';
import { ReplayStoreUnavailableError } from '../replay/replay.errors';
import { RevocationStoreUnavailableError } from '../revocation/revocation.errors';
import { dependencyUnavailableAnswer, type DependencyUnavailableError } from './dependency-unavailable';

describe('dependencyUnavailableAnswer', () => {
  it.each<[string, DependencyUnavailableError, string]>([
    ['the audit queue', new AuditUnavailableError('down'), 'audit_unavailable'],
    ['the replay store', new ReplayStoreUnavailableError('down'), 'replay_store_unavailable'],
    ['the revocation store', new RevocationStoreUnavailableError('down'), 'revocation_store_unavailable'],
  ])('answers %s being down with 503 temporarily_unavailable, Retry-After and its reason', (_label, error, reason) => {
    const answer = dependencyUnavailableAnswer(error);
    expect({ status: answer.status, code: answer.code, reason: answer.reason, headers: answer.headers }).toEqual({
      status: 503,
      code: 'temporarily_unavailable',
      reason,
      headers: { 'Retry-After': '1' },
    });
    expect(answer.description).not.toContain('down');
  });

  it('keeps each error\'s name, and its message and cause for the log', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ReplayStoreUnavailableError('connection refused', cause);
    expect({ name: error.name, message: error.message, cause: error.cause }).toEqual({
      name: 'ReplayStoreUnavailableError',
      message: 'replay store unavailable: connection refused',
      cause,
    });
    expect(new AuditUnavailableError('down').message).toBe('audit queue unavailable: down');
    expect(new RevocationStoreUnavailableError('down').name).toBe('RevocationStoreUnavailableError');
  });
});
