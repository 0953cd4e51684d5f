import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

const user = userEvent.setup({ delay: null });
import { FakeApi, renderConsole } from '../test/fake-api';

describe('signing in', () => {
  it('refuses a wrong key beside the field, and keeps nothing', async () => {
    const api = new FakeApi().on('GET /v1/issuers', (call) =>
      call.authorization === 'Bearer right-key-0123456789' ? { body: { items: [], next_cursor: null } } : { status: 401, body: { error: 'unauthorized', error_description: 'a valid admin credential is required' } },
    );
    renderConsole(api, '/issuers', { signedIn: false });
    const field = screen.getByLabelText('Admin API key');
    await user.type(field, 'wrong-key-0000000000');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(field).toHaveAccessibleDescription(/This key was refused/));
    expect(window.sessionStorage.length).toBe(0);
    expect(screen.queryByRole('link', { name: 'Trusted issuers' })).toBeNull();
  });

  it('keeps a good key in sessionStorage only, and shows the three sections', async () => {
    const api = new FakeApi().on('GET /v1/issuers', { body: { items: [], next_cursor: null } });
    renderConsole(api, '/issuers', { signedIn: false });
    await user.type(screen.getByLabelText('Admin API key'), 'right-key-0123456789');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('link', { name: 'Trusted issuers' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Clients' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Audit' })).toBeInTheDocument();
    expect(window.sessionStorage.getItem('trust-broker.admin-key')).toBe('right-key-0123456789');
    expect(window.localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
    expect(api.calls.every((call) => call.authorization === 'Bearer right-key-0123456789')).toBe(true);
  });

  it('signs out when the API refuses the kept key', async () => {
    const api = new FakeApi().on('GET /v1/issuers', { status: 401, body: { error: 'unauthorized', error_description: 'no' } });
    renderConsole(api, '/issuers');
    expect(await screen.findByLabelText('Admin API key')).toBeInTheDocument();
    expect(window.sessionStorage.getItem('trust-broker.admin-key')).toBeNull();
  });
});
