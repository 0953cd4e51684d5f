import type { ClientRow } from '@trust-broker/contracts';
import { OAuthError } from '../oauth/oauth-error';
import type { EndpointContext } from './endpoint.types';
import { buildAuditEvent } from './request-audit';

function context(overrides: Partial<EndpointContext> = {}): EndpointContext {
  return {
    endpoint: 'token',
    request: { id: 'req-1', ip: '192.0.2.7', headers: {}, body: {} },
    replayGuard: { markUsed: async () => 'recorded' } as unknown as EndpointContext['replayGuard'],
    startedAt: 0n,
    parameters: {},
    lists: {},
    audit: {},
    ...overrides,
  };
}

const client = { clientId: 'authenticated', method: 'private_key_jwt' as const, client: {} as ClientRow, assertionKid: 'k-auth' };
const verifiedClient = { clientId: 'verified', clientKid: 'k-verified', clientJtiHash: 'a'.repeat(64) };
const replayed = new OAuthError('invalid_client', 'replayed', 'jti_replayed');

describe('buildAuditEvent', () => {
  it('a success names the authenticated client as actor and keeps the details', () => {
    const event = buildAuditEvent(context({ client, audit: { grantType: 'client_credentials', scope: 'read', details: { token_jti: 't' } } }));
    expect(event).toMatchObject({ type: 'token', outcome: 'success', reason: null, error: null, actor: 'client:authenticated', client_id: 'authenticated', client_kid: 'k-auth', grant_type: 'client_credentials', scope: 'read', details: { token_jti: 't' }, request_id: 'req-1', remote_addr: '192.0.2.7' });
  });

  it('a failure keeps its reason and code, drops the success details, and names the verified client of a refused assertion', () => {
    const event = buildAuditEvent(context({ audit: { claimedClientId: 'claimed', verifiedClient, details: { token_jti: 't' } } }), replayed);
    expect(event).toMatchObject({ outcome: 'failure', reason: 'jti_replayed', error: 'invalid_client', actor: 'anonymous', client_id: 'verified', client_kid: 'k-verified', details: { client_jti_hash: 'a'.repeat(64) } });
  });

  it('before anything is verified, names only the client_id sent', () => {
    const event = buildAuditEvent(context({ endpoint: 'introspection', audit: { claimedClientId: 'claimed' } }), replayed);
    expect(event).toMatchObject({ type: 'introspection', client_id: 'claimed', client_kid: null, details: null, grant_type: null });
  });

  it('a refusal answered 200 (revocation of another client\'s token) is a failure without an error code', () => {
    const event = buildAuditEvent(context({ endpoint: 'revocation', client, audit: { refusal: 'token_of_another_client', details: { revoked: false } } }));
    expect(event).toMatchObject({ type: 'revocation', outcome: 'failure', reason: 'token_of_another_client', error: null, details: { revoked: false } });
  });

  it('cuts over-long values instead of losing the event', () => {
    const event = buildAuditEvent(context({ audit: { claimedClientId: 'c'.repeat(300), subject: 's'.repeat(2000) } }), replayed);
    expect([event.client_id?.length, event.subject?.length]).toEqual([256, 1024]);
  });
});
