import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

const user = userEvent.setup({ delay: null });
import { FakeApi, issuer, keyStatus, renderConsole } from '../test/fake-api';

const field = (label: string) => screen.getByRole('textbox', { name: label });
const type = (label: string, text: string) => user.type(field(label), text);

describe('adding an issuer', () => {
  it('has the contract fields, sends what was typed, and opens the new issuer', async () => {
    const api = new FakeApi()
      .on('POST /v1/issuers', (call) => ({ status: 201, body: issuer({ ...(call.body as Record<string, unknown>), id: 'new-id' }) }))
      .on('GET /v1/issuers/new-id', { body: issuer({ id: 'new-id' }) })
      .on('GET /v1/issuers/new-id/jwks', { body: keyStatus() });
    renderConsole(api, '/issuers/new');
    await screen.findByRole('button', { name: 'Save' });
    for (const label of ['Issuer', 'Display name', 'JWKS URI', 'Use discovery', 'Inline JWKS', 'Subjects', 'Allowed scopes', 'Condition (CEL)']) {
      expect(screen.getByRole(label === 'Use discovery' ? 'checkbox' : 'textbox', { name: new RegExp(`^${label.replace(/[()]/g, '\\$&')}`) })).toBeInTheDocument();
    }
    await type('Issuer', 'https://idp.partner.example');
    await type('JWKS URI', 'https://idp.partner.example/jwks.json');
    await user.clear(field('Subjects'));
    await type('Subjects', 'alice{enter}bob');
    await type('Allowed scopes', 'read write');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('button', { name: 'Refresh keys' });
    expect(api.callsTo('POST', '/v1/issuers')[0]!.body).toEqual({
      issuer: 'https://idp.partner.example',
      display_name: 'https://idp.partner.example',
      jwks_uri: 'https://idp.partner.example/jwks.json',
      subjects: ['alice', 'bob'],
      allowed_scopes: ['read', 'write'],
      audiences: [],
    });
  });

  it("shows the API's message beside the field it names", async () => {
    const api = new FakeApi().on('POST /v1/issuers', { status: 400, body: { error: 'invalid_request', error_description: 'jwks_uri: must be an absolute http(s) URL' } });
    renderConsole(api, '/issuers/new');
    await screen.findByRole('button', { name: 'Save' });
    await type('Issuer', 'https://idp.partner.example');
    await type('JWKS URI', 'not a url');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const field = screen.getByRole('textbox', { name: /^JWKS URI/ });
    await waitFor(() => expect(field).toHaveAccessibleDescription(/jwks_uri: must be an absolute http\(s\) URL/));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    // Typing again clears it.
    await user.type(field, 'x');
    expect(field).not.toHaveAccessibleDescription(/must be an absolute/);
  });

  it('puts an error that names no field of the form above it', async () => {
    const api = new FakeApi().on('POST /v1/issuers', { status: 409, body: { error: 'conflict', error_description: 'an issuer with this iss is already registered' } });
    renderConsole(api, '/issuers/new');
    await screen.findByRole('button', { name: 'Save' });
    await type('Issuer', 'https://idp.partner.example');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('an issuer with this iss is already registered');
  });

  it('checks the condition and claim mappings with the registry as they are typed', async () => {
    const api = new FakeApi().on('POST /v1/issuers/expressions/check', (call) => {
      const body = call.body as { condition?: string; claim_mappings?: Record<string, string> };
      const problems = [];
      if (body.condition?.endsWith('==')) problems.push({ field: 'condition', error_description: 'condition: Syntax error: unexpected end of input' });
      if (body.claim_mappings && 'sub' in body.claim_mappings) problems.push({ field: 'claim_mappings.sub', error_description: 'claim_mappings.sub: is set by the broker and cannot be mapped' });
      return { body: { valid: problems.length === 0, problems } };
    });
    renderConsole(api, '/issuers/new');
    await screen.findByRole('button', { name: 'Save' });
    const condition = screen.getByRole('textbox', { name: /^Condition \(CEL\)/ });
    await user.type(condition, 'claims.email ==');
    await waitFor(() => expect(condition).toHaveAccessibleDescription(/condition: Syntax error: unexpected end of input/), { timeout: 3000 });
    await user.type(condition, " 'a@b.example'");
    await waitFor(() => expect(condition).not.toHaveAccessibleDescription(/Syntax error/), { timeout: 3000 });
    const mappings = screen.getByRole('textbox', { name: /^Claim mappings/ });
    await user.type(mappings, '{{"sub": "claims.email"}');
    await waitFor(() => expect(mappings).toHaveAccessibleDescription(/claim_mappings.sub: is set by the broker/), { timeout: 3000 });
    // The browser holds no copy of the rules: every verdict came from the registry.
    const checks = api.callsTo('POST', '/v1/issuers/expressions/check');
    expect(checks.length).toBeGreaterThanOrEqual(3);
    expect(checks.at(-1)!.body).toEqual({ condition: "claims.email == 'a@b.example'", claim_mappings: { sub: 'claims.email' } });
  });
});

describe('an issuer page', () => {
  it('shows the keys held, the last fetch error, and refreshes, disables and enables', async () => {
    let status = 'active';
    let refreshed = 0;
    const path = '/v1/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d';
    const api = new FakeApi()
      .on(`GET ${path}`, () => ({ body: issuer({ status }) }))
      .on(`GET ${path}/jwks`, () => ({
        body: keyStatus({
          last_error: refreshed > 0 ? 'HTTP 404' : null,
          ignored: [{ kid: 'enc-key', reason: 'an encryption key (use "enc")' }],
        }),
      }))
      .on(`POST ${path}/jwks/refresh`, () => (refreshed++, { body: keyStatus({ last_error: 'HTTP 404' }) }))
      .on(`PATCH ${path}`, (call) => ((status = (call.body as { status: string }).status), { body: issuer({ status }) }));
    renderConsole(api, `/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d`);
    const keys = await screen.findByRole('table', { name: 'Keys held' });
    expect(keys).toHaveTextContent('partner-key-1');
    expect(screen.getByRole('table', { name: 'Ignored keys' })).toHaveTextContent('enc-key');
    expect(screen.getByText('Last fetch error: none')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Refresh keys' }));
    expect(await screen.findByText('Last fetch error')).toBeInTheDocument();
    expect(screen.getByText(/HTTP 404. The last good keys are kept/)).toBeInTheDocument();
    expect(refreshed).toBe(1);
    expect(screen.getByRole('button', { name: 'Enable' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Enable' })).toBeEnabled());
    expect(api.callsTo('PATCH', path).map((call) => call.body)).toEqual([{ status: 'disabled' }]);
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Disable' })).toBeEnabled());
    expect(api.callsTo('PATCH', path).map((call) => call.body)).toEqual([{ status: 'disabled' }, { status: 'active' }]);
  });

  it('edits with a patch of what changed', async () => {
    const path = '/v1/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d';
    const api = new FakeApi()
      .on(`GET ${path}`, { body: issuer() })
      .on(`GET ${path}/jwks`, { body: keyStatus() })
      .on(`PATCH ${path}`, (call) => ({ body: issuer(call.body as Record<string, unknown>) }));
    renderConsole(api, `/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d/edit`);
    const scopes = await screen.findByRole('textbox', { name: /^Allowed scopes/ });
    expect(scopes).toHaveValue('read');
    await user.type(scopes, ' write');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('button', { name: 'Refresh keys' });
    expect(api.callsTo('PATCH', path)[0]!.body).toEqual({ allowed_scopes: ['read', 'write'] });
  });

  it('sets accepted audiences: sent when typed, an edit that empties them sends [], and the API error shows beside the field', async () => {
    const api = new FakeApi().on('POST /v1/issuers', { status: 400, body: { error: 'invalid_request', error_description: 'accepted_audiences: must not repeat a value' } });
    renderConsole(api, '/issuers/new');
    await screen.findByRole('button', { name: 'Save' });
    await type('Issuer', 'https://idp.partner.example');
    await type('JWKS URI', 'https://idp.partner.example/jwks.json');
    await type('Accepted audiences', 'https://sts.example  https://sts.example');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const accepted = field('Accepted audiences');
    await waitFor(() => expect(accepted).toHaveAccessibleDescription(/accepted_audiences: must not repeat a value/));
    expect(accepted).toHaveAttribute('aria-invalid', 'true');
    expect(api.callsTo('POST', '/v1/issuers')[0]!.body).toMatchObject({ accepted_audiences: ['https://sts.example', 'https://sts.example'] });

    const path = '/v1/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d';
    const edits = new FakeApi()
      .on(`GET ${path}`, { body: issuer() })
      .on(`GET ${path}/jwks`, { body: keyStatus() })
      .on(`PATCH ${path}`, (call) => ({ body: issuer(call.body as Record<string, unknown>) }));
    cleanup();
    renderConsole(edits, `/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d/edit`);
    const current = await screen.findByRole('textbox', { name: /^Accepted audiences/ });
    expect(current).toHaveValue('https://broker.example');
    await user.clear(current);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('button', { name: 'Refresh keys' });
    expect(edits.callsTo('PATCH', path)[0]!.body).toEqual({ accepted_audiences: [] });
  });
});
