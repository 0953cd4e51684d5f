import { DomainError, toApiError, type DomainErrorKind } from './errors';

describe('toApiError', () => {
  it.each([
    ['a pg error for a NUL byte (22021)', { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }],
    ['a TypeORM QueryFailedError wrapping it', { driverError: { code: '22021' } }],
    ['an untranslatable character (22P05)', { code: '22P05' }],
  ])('answers %s as 400 invalid_request', (_label, error) => {
    expect(toApiError(Object.assign(new Error('query failed'), error))).toMatchObject({ status: 400, error: 'invalid_request', reason: 'unstorable_text' });
  });

  it.each([
    ['another database error', { code: '23505' }],
    ['a plain error', {}],
  ])('leaves %s to the generic 500', (_label, error) => {
    expect(toApiError(Object.assign(new Error('boom'), error))).toBeUndefined();
  });
});

describe('toApiError for a DomainError', () => {
  class WidgetError extends DomainError {
    constructor(code: string, kind: DomainErrorKind) {
      super(code, kind, `widget: ${code}`);
    }
  }

  it.each<[DomainErrorKind, number, string]>([
    ['invalid', 400, 'invalid_request'],
    ['not_found', 404, 'not_found'],
    ['conflict', 409, 'conflict'],
    ['dependency_unavailable', 503, 'temporarily_unavailable'],
  ])('answers kind %s as %i %s, with its message and its code as the reason', (kind, status, error) => {
    expect(toApiError(new WidgetError('widget_code', kind))).toMatchObject({ status, error, description: 'widget: widget_code', reason: 'widget_code' });
  });

  it('asks the caller of a dependency that is down to retry (Retry-After), and no other kind', () => {
    expect(toApiError(new WidgetError('widget_store_unavailable', 'dependency_unavailable'))?.headers).toEqual({ 'Retry-After': '1' });
    expect(toApiError(new WidgetError('widget_not_found', 'not_found'))?.headers).toEqual({});
  });
});
