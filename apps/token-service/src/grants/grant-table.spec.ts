import { buildAuthorizationServerMetadata } from '../discovery/authorization-server-metadata';
import type { GrantHandler } from './grant.types';
import { GrantTable, SUPPORTED_GRANT_TYPES } from './grant-table';

describe('GrantTable', () => {
  const jwtBearer: GrantHandler = { exchange: () => { throw new Error('not called'); } };
  const clientCredentials: GrantHandler = { checkClient: () => undefined, exchange: () => { throw new Error('not called'); } };
  const table = new GrantTable([
    ['urn:ietf:params:oauth:grant-type:jwt-bearer', jwtBearer],
    ['client_credentials', clientCredentials],
  ]);

  it('finds each registered grant by its grant_type', () => {
    expect(table.find('urn:ietf:params:oauth:grant-type:jwt-bearer')).toBe(jwtBearer);
    expect(table.find('client_credentials')).toBe(clientCredentials);
  });

  it.each(['password', 'CLIENT_CREDENTIALS', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])('finds nothing for %s', (grantType) => {
    expect(table.find(grantType)).toBeUndefined();
  });

  it('is what RFC 8414 metadata lists as grant_types_supported', () => {
    expect(SUPPORTED_GRANT_TYPES).toEqual(expect.arrayContaining(['urn:ietf:params:oauth:grant-type:jwt-bearer', 'client_credentials']));
    expect(buildAuthorizationServerMetadata('https://broker.example', ['ES256']).grant_types_supported).toEqual([...SUPPORTED_GRANT_TYPES]);
  });
});
