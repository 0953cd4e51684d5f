import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeApi, ndjsonStream, renderConsole } from '../test/fake-api';

const user = userEvent.setup({ delay: null });

const event = (overrides: Record<string, unknown>) => ({
  id: crypto.randomUUID(),
  type: 'token',
  occurred_at: '2026-12-03T10:00:00.000Z',
  outcome: 'success',
  reason: null,
  error: null,
  actor: null,
  action: null,
  issuer: 'https://idp.partner.example',
  client_id: 'ci-runner',
  subject: 'alice',
  kid: 'k1',
  scope: 'read',
  grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  request_id: 'r1',
  ...overrides,
});

function auditApi() {
  return new FakeApi()
    .on('GET /v1/audit/events', (call) =>
      call.path.includes('cursor=older')
        ? { body: { items: [event({ seq: 1, subject: 'first-ever' })], next_cursor: null } }
        : {
            body: {
              items: [event({ seq: 3, outcome: 'failure', reason: 'issuer_unknown', error: 'invalid_grant' }), event({ seq: 2 })],
              next_cursor: 'older',
            },
          },
    )
    .on('GET /v1/audit/events/per-minute', () => ({
      body: { items: [{ minute: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString(), success: 4, failure: 2 }] },
    }));
}

/** Opens the audit view, asks a whole-chain walk and waits for its first progress line. */
async function startWholeChainWalk() {
  const answer = ndjsonStream();
  const api = auditApi().on('GET /v1/audit/verify', { ndjson: answer.stream });
  renderConsole(api, '/audit');
  await user.click(await screen.findByRole('checkbox', { name: 'Walk the whole chain' }));
  await user.click(screen.getByRole('button', { name: 'Verify chain' }));
  answer.line({ progress: { checked: 10, walked: 10, seq: 10, last: 100 } });
  await screen.findByText(/checked through sequence number 10 of 100/);
  return { answer, api };
}

describe('the audit view', () => {
  it('lists events newest first with the reason in words, and pages to older ones', async () => {
    const api = auditApi();
    renderConsole(api, '/audit');
    const table = await screen.findByRole('table', { name: 'Audit events' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getAllByRole('cell')[0]!.textContent)).toEqual(['3', '2']);
    expect(rows[0]).toHaveTextContent('Unknown or disabled issuer');
    expect(rows[0]).toHaveTextContent('issuer_unknown');
    await user.click(screen.getByRole('button', { name: 'Older events' }));
    expect(await screen.findByText('first-ever')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Older events' })).toBeDisabled();
  });

  it("sends the API's filters, and shows a bad one beside its field", async () => {
    const api = auditApi().on('GET /v1/audit/events', (call) =>
      call.path.includes('issuer=') ? { status: 400, body: { error: 'invalid_request', error_description: 'issuer is too long' } } : { body: { items: [], next_cursor: null } },
    );
    renderConsole(api, '/audit');
    expect(await screen.findByText('No event matches these filters.')).toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Outcome' }), 'failure');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Type' }), 'token');
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'alice');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await screen.findByText('No event matches these filters.');
    expect(api.callsTo('GET', '/v1/audit/events?').at(-1)!.path).toBe('/v1/audit/events?type=token&outcome=failure&subject=alice&limit=50');
    await user.type(screen.getByRole('textbox', { name: 'Issuer (iss)' }), 'x');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(await screen.findByText('issuer is too long')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Issuer (iss)' })).toHaveAccessibleDescription('issuer is too long');
  });

  it('charts token requests per minute for the last hour from the audit API', async () => {
    const api = auditApi();
    renderConsole(api, '/audit');
    expect(await screen.findByRole('img', { name: /Token requests per minute, last hour: 4 succeeded, 2 failed/ })).toBeInTheDocument();
    const query = new URLSearchParams(api.callsTo('GET', '/v1/audit/events/per-minute')[0]!.path.split('?')[1]);
    expect(query.get('type')).toBe('token');
    expect(new Date(query.get('until')!).getTime() - new Date(query.get('since')!).getTime()).toBe(3_600_000);
  });

  it.each([
    [{ intact: true, checked: 42, broken_at: null, reason: null }, 'Chain intact'],
    [{ intact: false, checked: 17, broken_at: 17, reason: 'hash mismatch' }, 'Chain broken at sequence number 17'],
  ])('verifies the chain: %j reads %s', async (report, words) => {
    const api = auditApi().on('GET /v1/audit/verify', { body: report });
    renderConsole(api, '/audit');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));
    expect(await screen.findByText(words)).toBeInTheDocument();
    expect(api.callsTo('GET', '/v1/audit/verify')).toMatchObject([{ path: '/v1/audit/verify', accept: 'application/json' }]);
  });

  it('walks the whole chain on request, showing its NDJSON progress while it runs', async () => {
    const answer = ndjsonStream();
    const api = auditApi().on('GET /v1/audit/verify', { ndjson: answer.stream });
    renderConsole(api, '/audit');
    await user.click(await screen.findByRole('checkbox', { name: 'Walk the whole chain' }));
    await user.click(screen.getByRole('button', { name: 'Verify chain' }));
    expect(await screen.findByText('Walking the whole chain…')).toBeInTheDocument();
    expect(api.callsTo('GET', '/v1/audit/verify')).toMatchObject([{ path: '/v1/audit/verify?full=true', accept: 'application/x-ndjson' }]);
    expect(screen.getByRole('checkbox', { name: 'Walk the whole chain' })).toBeDisabled();

    answer.line({ progress: { checked: 250, walked: 250, seq: 250, last: 1000 } });
    expect(await screen.findByText(/checked through sequence number 250 of 1000/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Verification progress' })).toHaveAttribute('aria-valuenow', '25');
    answer.line({ progress: { checked: 750, walked: 750, seq: 750, last: 1000 } });
    expect(await screen.findByText(/checked through sequence number 750 of 1000/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Verification progress' })).toHaveAttribute('aria-valuenow', '75');
    expect(screen.queryByText('Chain intact')).not.toBeInTheDocument();

    answer.line({ intact: true, checked: 1000, broken_at: null, reason: null, full: true, from: 1, walked: 1000, untrusted_records: 0 });
    answer.end();
    expect(await screen.findByText('Chain intact')).toBeInTheDocument();
    expect(screen.getByText('1000 events checked (the whole chain): none was changed, removed or reordered.')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it.each([
    ['an error line', (answer: ReturnType<typeof ndjsonStream>) => (answer.line({ error: 'server_error', error_description: 'the verification failed; see the audit-worker log' }), answer.end()), 'the verification failed; see the audit-worker log'],
    ['an answer cut off before its last line', (answer: ReturnType<typeof ndjsonStream>) => answer.breakOff(), 'The answer was cut off before it ended.'],
    ['an answer that ends without the report', (answer: ReturnType<typeof ndjsonStream>) => answer.end(), 'The answer was cut off before it ended.'],
  ])('a whole-chain walk that fails with %s says so, not "Chain intact"', async (_name, finish, words) => {
    const { answer } = await startWholeChainWalk();
    finish(answer);
    expect(await screen.findByText('The chain could not be verified')).toBeInTheDocument();
    expect(screen.getByText(words)).toBeInTheDocument();
    expect(screen.queryByText('Chain intact')).not.toBeInTheDocument();
  });

  it('stops a whole-chain walk: the request is aborted and nothing is concluded', async () => {
    const { answer, api } = await startWholeChainWalk();
    await user.click(screen.getByRole('button', { name: 'Stop verifying' }));
    const call = api.callsTo('GET', '/v1/audit/verify')[0]!;
    expect(call.signal?.aborted).toBe(true);
    answer.breakOff(); // what fetch does to the body of an aborted request
    expect(await screen.findByText('Verification stopped: nothing was concluded.')).toBeInTheDocument();
    expect(screen.queryByText('Chain intact')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Stop verifying' })).not.toBeInTheDocument();
  });
});
