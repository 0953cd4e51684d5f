import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeApi, renderConsole } from '../test/fake-api';

const user = userEvent.setup({ delay: null });

const client = (overrides: Record<string, unknown> = {}) => ({
  client_id: 'ci-runner',
  client_name: 'CI runner',
  token_endpoint_auth_method: 'client_secret_basic',
  jwks: null,
  jwks_uri: null,
  token_endpoint_auth_signing_alg: null,
  grant_types: ['client_credentials'],
  scope: 'read',
  client_assertion_reuse: false,
  status: 'active',
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
  ...overrides,
});

describe('clients', () => {
  it('lists clients, and says so when there are none', async () => {
    const api = new FakeApi().on('GET /v1/clients', { body: { items: [client()], next_cursor: null } });
    renderConsole(api, '/clients');
    const table = await screen.findByRole('table', { name: 'Clients' });
    expect(table).toHaveTextContent('ci-runner');
    expect(table).toHaveTextContent('client_secret_basic');
    const empty = new FakeApi().on('GET /v1/clients', { body: { items: [], next_cursor: null } });
    renderConsole(empty, '/clients');
    expect(await screen.findByText(/No client yet/)).toBeInTheDocument();
  });

  it('adds a secret client and shows its secret once, with a copy button', async () => {
    const api = new FakeApi().on('POST /v1/clients', (call) => ({ status: 201, body: { ...client(call.body as Record<string, unknown>), client_id: 'generated-id', client_secret: 's3cr3t-shown-once' } }));
    renderConsole(api, '/clients/new');
    await user.type(await screen.findByRole('textbox', { name: 'Client name' }), 'CI runner');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Authentication method' }), 'client_secret_post');
    await user.click(screen.getByRole('checkbox', { name: 'jwt-bearer (RFC 7523)' }));
    await user.type(screen.getByRole('textbox', { name: /^Scope/ }), 'read  write');
    expect(screen.queryByRole('textbox', { name: /^JWKS/ })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('s3cr3t-shown-once')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy secret' })).toBeInTheDocument();
    expect(api.callsTo('POST', '/v1/clients')[0]!.body).toEqual({
      client_name: 'CI runner',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      scope: 'read write',
    });
    // Leaving the page forgets it: the client's page never shows it.
    api.on('GET /v1/clients/generated-id', { body: client({ client_id: 'generated-id' }) });
    await user.click(screen.getByRole('link', { name: 'Open the client' }));
    await screen.findByRole('button', { name: 'Rotate secret' });
    expect(screen.queryByText('s3cr3t-shown-once')).toBeNull();
  });

  it('adds a private_key_jwt client with its JWKS, and shows a bad key set beside the field', async () => {
    const api = new FakeApi().on('POST /v1/clients', { status: 400, body: { error: 'invalid_request', error_description: 'jwks: keys[0] is a private key' } });
    renderConsole(api, '/clients/new');
    const jwks = await screen.findByRole('textbox', { name: 'JWKS' });
    await user.click(jwks);
    await user.paste('{"keys": [{"kty": "EC", "d": "x"}]}');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(jwks).toHaveAccessibleDescription(/jwks: keys\[0\] is a private key/));
    expect(api.callsTo('POST', '/v1/clients')[0]!.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', d: 'x' }] }, client_assertion_reuse: false });
  });

  it('adds a federated_jwt client with its federated credentials, and shows the API error beside that field', async () => {
    const api = new FakeApi().on('POST /v1/clients', (call) => {
      const credentials = (call.body as { federated_credentials: { issuer: string }[] }).federated_credentials;
      return credentials[0]?.issuer === 'https://unknown.example'
        ? { status: 400, body: { error: 'invalid_request', error_description: 'federated_credentials[0].issuer: "https://unknown.example" is not a registered trusted issuer' } }
        : { status: 201, body: client({ ...(call.body as Record<string, unknown>), client_id: 'workload' }) };
    });
    renderConsole(api, '/clients/new');
    expect(await screen.findByRole('combobox', { name: 'Authentication method' })).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: /^Federated credentials/ })).toBeNull();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Authentication method' }), 'federated_jwt');
    expect(screen.queryByRole('textbox', { name: /^JWKS/ })).toBeNull();
    const credentials = screen.getByRole('textbox', { name: /^Federated credentials/ });
    await user.click(credentials);
    await user.paste('[{"issuer": "https://unknown.example", "subject": "repo:acme/app:ref:refs/heads/main"}]');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(credentials).toHaveAccessibleDescription(/federated_credentials\[0\]\.issuer: "https:\/\/unknown\.example" is not a registered trusted issuer/));
    expect(credentials).toHaveAttribute('aria-invalid', 'true');
    expect(api.callsTo('POST', '/v1/clients')[0]!.body).toEqual({
      token_endpoint_auth_method: 'federated_jwt',
      grant_types: ['client_credentials'],
      scope: '',
      federated_credentials: [{ issuer: 'https://unknown.example', subject: 'repo:acme/app:ref:refs/heads/main' }],
      client_assertion_reuse: false,
    });
    // Not JSON: said beside the field, and nothing is sent.
    await user.clear(credentials);
    await user.paste('https://idp.partner.example repo:acme/app');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(credentials).toHaveAccessibleDescription(/federated_credentials: not valid JSON/));
    expect(api.callsTo('POST', '/v1/clients')).toHaveLength(1);
    // A registered issuer: the client is added with the credentials typed.
    await user.clear(credentials);
    await user.paste('[{"issuer": "https://idp.partner.example", "subject": "workload-7"}]');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Client workload added')).toBeInTheDocument();
    expect(api.callsTo('POST', '/v1/clients')[1]!.body).toMatchObject({ federated_credentials: [{ issuer: 'https://idp.partner.example', subject: 'workload-7' }] });
  });

  it("offers the methods and grant types the registry's OpenAPI document accepts", async () => {
    const schema = {
      properties: {
        token_endpoint_auth_method: { type: 'string', enum: ['private_key_jwt', 'client_secret_basic', 'none'] },
        grant_types: { type: 'array', items: { type: 'string', enum: ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] } },
      },
    };
    const api = new FakeApi().on('GET /openapi.json', { body: { paths: { '/v1/clients': { post: { requestBody: { content: { 'application/json': { schema } } } } } } } });
    renderConsole(api, '/clients/new');
    const method = await screen.findByRole('combobox', { name: 'Authentication method' });
    await waitFor(() => expect([...(method as HTMLSelectElement).options].map((option) => option.value)).toEqual(['private_key_jwt', 'client_secret_basic', 'none']));
    expect(screen.getAllByRole('checkbox').map((box) => box.getAttribute('value')).filter(Boolean)).toEqual(['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer']);
  });

  it('rotates a secret and revokes an assertion by jti or by kid', async () => {
    const api = new FakeApi()
      .on('GET /v1/clients/ci-runner', { body: client({ token_endpoint_auth_method: 'client_secret_jwt' }) })
      .on('POST /v1/clients/ci-runner/secret', { body: { client_id: 'ci-runner', client_secret: 'rotated-secret' } })
      .on('POST /v1/clients/ci-runner/assertion-revocations', (call) =>
        (call.body as { kid?: string }).kid === '' ? { status: 400, body: { error: 'invalid_request', error_description: 'kid: must not be empty' } } : { status: 201, body: {} },
      );
    renderConsole(api, '/clients/ci-runner');
    await user.click(await screen.findByRole('button', { name: 'Rotate secret' }));
    expect(await screen.findByText('rotated-secret')).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'Assertion jti' }), 'jti-123');
    await user.click(screen.getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByText(/jti-123 is refused from now on/)).toBeInTheDocument();
    await user.click(screen.getByText('Every assertion of a key (kid)'));
    await user.click(screen.getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Key ID (kid)' })).toHaveAccessibleDescription('kid: must not be empty'));
    expect(api.callsTo('POST', '/v1/clients/ci-runner/assertion-revocations').map((call) => call.body)).toEqual([{ jti: 'jti-123' }, { kid: '' }]);
  });
});
