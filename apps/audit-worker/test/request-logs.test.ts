/**
 * CONTRACT.md `LOG_FORMAT`: a line logged while a request is served carries its `request_id`.
 * The real worker, LOG_FORMAT=json: a GET /v1/audit/verify whose verification record
 * Postgres refuses (a trigger of the test's own database) logs that line under the id the
 * request was given (X-Request-Id), and still answers.
 */
import { eventually } from '@trust-broker/testing';
import { makeEvent } from './fixtures';
import { ADMIN_KEY, WorkerHarness, type RunningWorker } from './worker-harness';

jest.setTimeout(120_000);

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('lines logged while serving a request', () => {
  let harness: WorkerHarness;
  let worker: RunningWorker;
  beforeAll(async () => {
    harness = await WorkerHarness.create('reqlogs');
    worker = await harness.startWorker({ LOG_FORMAT: 'json', LOG_LEVEL: 'info', AUDIT_CHECKPOINT_EVERY: '5' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('GET /v1/audit/verify: "verification record not written" names the request', async () => {
    await harness.enqueue(Array.from({ length: 12 }, () => makeEvent()));
    await eventually(async () => (await harness.storedCounts()).rows === 12, 60_000, 100);
    await eventually(async () => Number((await harness.pg.query('SELECT count(*) AS n FROM audit.checkpoints')).rows[0].n) >= 1, 60_000, 100);
    await harness.pg.query(`CREATE FUNCTION audit.refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'record refused by the test'; END $$`);
    await harness.pg.query(`CREATE TRIGGER refuse_record BEFORE INSERT ON audit.verifications FOR EACH ROW EXECUTE FUNCTION audit.refuse_record()`);

    const requestId = 'verify-request-7301';
    const response = await fetch(`${worker.url}/v1/audit/verify?full=true`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-request-id': requestId } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ intact: true, checked: 12 });

    const notWritten = (): Record<string, unknown> | undefined =>
      jsonLines(worker.process.stdout()).find((line) => typeof line.msg === 'string' && line.msg.includes('not written'));
    await eventually(async () => notWritten() !== undefined, 10_000, 50);
    expect(notWritten()).toMatchObject({ level: 'warn', context: 'AuditVerify', request_id: requestId, msg: expect.stringContaining('record refused by the test') });
  });
});
