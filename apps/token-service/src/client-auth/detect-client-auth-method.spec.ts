import { OAuthError } from '../oauth/oauth-error';
import { detectClientAuthMethod } from './detect-client-auth-method';

const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'; // RFC 7523 §2.2, written out

describe('detectClientAuthMethod', () => {
  it.each([
    ['nothing', undefined, {}, 'anonymous'],
    ['a client_id alone (public client)', undefined, { client_id: 'c' }, 'client_id_only'],
    ['HTTP Basic', 'Basic YTpi', {}, 'basic'],
    ['HTTP Basic, scheme in lower case', 'basic YTpi', {}, 'basic'],
    ['a malformed Basic header (refused by its step)', 'Basic !!!', {}, 'basic'],
    ['client_secret_post', undefined, { client_id: 'c', client_secret: 's' }, 'post'],
    ['a client assertion', undefined, { client_assertion_type: TYPE, client_assertion: 'x.y.z' }, 'assertion'],
    ['a client assertion with client_id', undefined, { client_id: 'c', client_assertion_type: TYPE, client_assertion: 'x.y.z' }, 'assertion'],
    ['a Bearer header is not client authentication', 'Bearer abc', { client_id: 'c' }, 'client_id_only'],
  ])('%s → %s', (_label, authorization, parameters, kind) => {
    expect(detectClientAuthMethod(authorization, parameters).kind).toBe(kind);
  });

  it.each([
    ['Basic and client_secret_post', 'Basic YTpi', { client_id: 'c', client_secret: 's' }, 'multiple_client_auth_methods'],
    ['a malformed Basic header and client_secret_post', 'Basic !!!', { client_id: 'c', client_secret: 's' }, 'multiple_client_auth_methods'],
    ['Basic and a client assertion', 'Basic YTpi', { client_assertion_type: TYPE, client_assertion: 'x' }, 'multiple_client_auth_methods'],
    ['client_secret_post and a client assertion', undefined, { client_id: 'c', client_secret: 's', client_assertion_type: TYPE, client_assertion: 'x' }, 'multiple_client_auth_methods'],
    ['client_assertion_type without client_assertion', undefined, { client_assertion_type: TYPE }, 'client_assertion_missing'],
    ['client_assertion without client_assertion_type', undefined, { client_assertion: 'x' }, 'client_assertion_type_missing'],
    ['an unknown client_assertion_type', undefined, { client_assertion_type: 'urn:x', client_assertion: 'x' }, 'client_assertion_type_unsupported'],
  ])('refuses %s with 400 invalid_request', (_label, authorization, parameters, reason) => {
    let error: OAuthError | undefined;
    try {
      detectClientAuthMethod(authorization, parameters);
    } catch (e) {
      error = e as OAuthError;
    }
    expect({ code: error?.code, status: error?.status, reason: error?.reason }).toEqual({ code: 'invalid_request', status: 400, reason });
  });
});
