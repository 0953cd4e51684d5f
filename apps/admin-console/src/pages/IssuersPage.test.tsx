import { screen, within } from '@testing-library/react';
import { FakeApi, issuer, keyStatus, renderConsole } from '../test/fake-api';

describe('the trusted issuers list', () => {
  it('shows a loading state, then an empty state', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const api = new FakeApi();
    const slow = api.fetch;
    renderConsole(
      Object.assign(api, {
        fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
          await gate;
          return slow(input, init);
        },
      }).on('GET /v1/issuers', { body: { items: [], next_cursor: null } }),
      '/issuers',
    );
    expect(screen.getByRole('status')).toHaveTextContent('Loading trusted issuers');
    release();
    expect(await screen.findByText(/No trusted issuer yet/)).toBeInTheDocument();
  });

  it('lists iss, status and key health: keys, last fetch, last error, ignored keys', async () => {
    const broken = issuer({ id: 'b', issuer: 'https://broken.example', display_name: 'Broken', status: 'disabled' });
    const api = new FakeApi()
      .on('GET /v1/issuers', { body: { items: [issuer(), broken], next_cursor: null } })
      .on('GET /v1/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d/jwks', { body: keyStatus({ ignored: [{ kid: 'enc-1', reason: 'use is enc' }] }) })
      .on('GET /v1/issuers/b/jwks', { body: keyStatus({ last_error: 'HTTP 404', keys: [] }) });
    renderConsole(api, '/issuers');
    const table = await screen.findByRole('table', { name: 'Trusted issuers' });
    const rows = within(table).getAllByRole('row');
    expect(within(rows[0]!).getAllByRole('columnheader').map((cell) => cell.textContent)).toEqual(['Issuer (iss)', 'Display name', 'Status', 'Key status']);
    expect(within(rows[1]!).getByRole('link', { name: 'https://idp.partner.example' })).toHaveAttribute('href', '/issuers/8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d');
    expect(rows[1]).toHaveTextContent('active');
    expect(await within(rows[1]!).findByText(/1 key, fetched 2 min ago, 1 ignored key/)).toBeInTheDocument();
    expect(within(rows[1]!).getByText('keys OK')).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent('disabled');
    expect(await within(rows[2]!).findByText('last error: HTTP 404')).toBeInTheDocument();
    expect(within(rows[2]!).getByText('no keys')).toBeInTheDocument();
  });

  it('pages with the cursor', async () => {
    const api = new FakeApi()
      .on('GET /v1/issuers', (call) =>
        call.path.includes('cursor=next-1')
          ? { body: { items: [issuer({ id: 'z', issuer: 'https://second-page.example' })], next_cursor: null } }
          : { body: { items: [issuer()], next_cursor: 'next-1' } },
      )
      .on('GET /v1/issuers/*', { body: keyStatus() });
    renderConsole(api, '/issuers');
    const next = await screen.findByRole('button', { name: 'Next page' });
    next.click();
    expect(await screen.findByRole('link', { name: 'https://second-page.example' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeEnabled();
  });

  it('says so when the list cannot be loaded', async () => {
    const api = new FakeApi().on('GET /v1/issuers', { status: 503, body: { error: 'temporarily_unavailable', error_description: 'the database cannot be reached' } });
    renderConsole(api, '/issuers');
    expect(await screen.findByRole('alert')).toHaveTextContent('the database cannot be reached (HTTP 503, temporarily_unavailable)');
  });
});
