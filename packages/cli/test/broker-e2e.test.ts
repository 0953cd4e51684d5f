/**
 * End to end, the way a user meets the system: `node scripts/start.mjs` (what
 * `npm start` runs, minus the build turbo already did) in a fresh database and Redis
 * prefix on free ports; then `npm run demo` against it, asserting each step; then the
 * `trust-broker` CLI against the running services, failure paths included; then a
 * crashed service is restarted, and SIGTERM stops everything.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { eventually, startLoopbackIdp, startWholeSystem, type RunningProcess, type SystemPorts, type WholeSystem } from '@trust-broker/testing';
import { runCli } from '../src/program';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '..', '..', '..');

describe('npm start + npm run demo + trust-broker CLI, against the real services', () => {
  let system: WholeSystem;
  let broker: RunningProcess;
  let dataDir: string;
  let ports: SystemPorts;
  let cliEnv: Record<string, string>;
  let adminKey: string;

  beforeAll(async () => {
    system = await startWholeSystem('e2e', {
      script: join(ROOT, 'scripts', 'start.mjs'),
      // The services' start lines ("listening on") are at level info.
      env: { LOG_LEVEL: 'info', ADMIN_API_KEY: '', KEY_ENCRYPTION_KEY: '' },
      args: ['--no-build', '--demo'],
      readyTimeoutMs: 200_000,
    });
    ({ broker, dataDir, ports } = system);
    adminKey = (JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8')) as { ADMIN_API_KEY: string }).ADMIN_API_KEY;
    cliEnv = {
      TRUST_BROKER_TOKEN_URL: `http://127.0.0.1:${ports.token}/oauth2/token`,
      TRUST_BROKER_REGISTRY_URL: `http://127.0.0.1:${ports.registry}`,
      TRUST_BROKER_AUDIT_URL: `http://127.0.0.1:${ports.audit}`,
      TRUST_BROKER_ADMIN_KEY: adminKey,
    };
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function cli(args: string[], env: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { output: { out: (t) => out.push(t), err: (t) => err.push(t) }, env: { ...cliEnv, ...env }, cwd: dataDir });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  describe('npm start', () => {
    it('prints where each service listens and the generated admin key, kept in a 0600 file', () => {
      const output = broker.output();
      for (const port of Object.values(ports)) expect(output).toContain(`http://localhost:${port}`);
      expect(output).toContain(`admin key        ${adminKey}`);
      expect(adminKey.length).toBeGreaterThanOrEqual(32);
      expect(statSync(join(dataDir, 'local-secrets.json')).mode & 0o777).toBe(0o600);
      for (const app of ['issuer-registry', 'token-service', 'audit-worker']) {
        expect(output).toContain(`start | migrating ${app} ...`);
        // LOG_FORMAT pretty (npm start's default): `[HH:MM:SS.mmm] INFO: <message>`, no colour codes in a pipe.
        expect(output).toMatch(new RegExp(`^${app} +\\| \\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: ${app} listening on`, 'm'));
      }
      expect(output).not.toContain('\u001b');
      const state = JSON.parse(readFileSync(join(dataDir, 'broker.json'), 'utf8')) as Record<string, unknown>;
      expect(state).toMatchObject({ token_url: `http://127.0.0.1:${ports.token}/oauth2/token`, allow_private_networks: true });
    });

    it('never prints the key-encryption key', () => {
      const { KEY_ENCRYPTION_KEY } = JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8')) as { KEY_ENCRYPTION_KEY: string };
      expect(broker.output()).not.toContain(KEY_ENCRYPTION_KEY);
    });
  });

  describe('npm run demo', () => {
    interface DemoSummary {
      steps: Record<string, Record<string, unknown>>;
    }
    let summary: DemoSummary;
    let demoOutput: string;

    beforeAll(() => {
      const summaryFile = join(dataDir, 'demo-summary.json');
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs'), '--summary', summaryFile], {
        env: { ...process.env, TB_DATA_DIR: dataDir, TRUST_BROKER_ADMIN_KEY: '', ADMIN_API_KEY: '' },
        encoding: 'utf8',
        timeout: 180_000,
      });
      demoOutput = `${result.stdout}\n${result.stderr}`;
      if (result.status !== 0) throw new Error(`demo exited ${result.status}:\n${demoOutput}`);
      summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as DemoSummary;
    });

    it('narrates ten steps and completes', () => {
      expect(demoOutput).toContain('Demo complete: 10 steps ok.');
      expect(Object.keys(summary.steps)).toEqual([
        'partner_idp',
        'issuer_registered',
        'client_registered',
        'assertion_signed',
        'token_issued',
        'replay_refused',
        'introspect_revoke',
        'rotation',
        'ci_token_exchange',
        'audit',
      ]);
    });

    it('lets a CI job of another organization exchange its OIDC token with no client and no secret', () => {
      expect(summary.steps.ci_token_exchange).toMatchObject({
        sub: 'repo:partner-org/orders-sync:ref:refs/heads/main',
        idp: expect.stringMatching(/^https:\/\/ci\.partner\.example\/demo-/),
        scope: 'orders:read',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        client_id: null,
      });
    });

    it('registers the partner by discovery and a private_key_jwt client', () => {
      expect(summary.steps.issuer_registered).toMatchObject({ source: 'discovery', kids: [summary.steps.partner_idp!.kid] });
      expect(summary.steps.client_registered).toMatchObject({ method: 'private_key_jwt' });
    });

    it('issues a token for the partner user to the client, naming the partner as idp', () => {
      expect(summary.steps.token_issued).toMatchObject({
        sub: 'alice@partner.example',
        client_id: summary.steps.client_registered!.client_id,
        idp: summary.steps.partner_idp!.issuer,
        scope: 'orders:read',
        aud: 'https://orders.api.example',
      });
    });

    it('refuses the replayed assertion, and the revoked token introspects inactive', () => {
      expect(summary.steps.replay_refused).toMatchObject({ status: 400, error: 'invalid_grant' });
      expect(summary.steps.introspect_revoke).toMatchObject({ before: true, after: false });
    });

    it('keeps working after the partner rotates its key, through a fetch of the new JWKS', () => {
      const rotation = summary.steps.rotation as { kids: string[]; fetches: number };
      expect(rotation.kids).toHaveLength(1);
      expect(rotation.kids[0]).not.toBe(summary.steps.partner_idp!.kid);
      expect(rotation.fetches).toBeGreaterThanOrEqual(1);
    });

    it('shows the audit trail and verifies the chain', () => {
      const audit = summary.steps.audit as { counts: Record<string, number>; intact: boolean; checked: number };
      expect(audit.intact).toBe(true);
      expect(audit.counts['token:success']).toBeGreaterThanOrEqual(2);
      expect(audit.counts['token:failure']).toBeGreaterThanOrEqual(1);
      expect(audit.counts['revocation:success']).toBe(1);
      expect(demoOutput).toContain('jti_replayed');
    });

    it('against a broker started without --demo, stops before changing anything and says how to restart it', async () => {
      const otherDir = mkdtempSync(join(tmpdir(), 'tb-e2e-nodemo-'));
      const state = JSON.parse(readFileSync(join(dataDir, 'broker.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(otherDir, 'broker.json'), JSON.stringify({ ...state, allow_private_networks: false }));
      writeFileSync(join(otherDir, 'local-secrets.json'), readFileSync(join(dataDir, 'local-secrets.json')));
      const before = JSON.parse((await cli(['--json', 'issuers', 'list', '--all'])).out) as { items: unknown[] };
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
        env: { ...process.env, TB_DATA_DIR: otherDir, TRUST_BROKER_ADMIN_KEY: '', ADMIN_API_KEY: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('started without --demo');
      expect(result.stderr).toContain('npm start -- --demo');
      const after = JSON.parse((await cli(['--json', 'issuers', 'list', '--all'])).out) as { items: unknown[] };
      expect(after.items).toHaveLength(before.items.length);
    });

    it('prints neither the admin key nor a whole token or assertion', () => {
      expect(demoOutput).not.toContain(adminKey);
      expect(demoOutput).not.toMatch(/eyJ[\w-]{30,}\.[\w-]+\.[\w-]+/);
    });
  });

  describe('trust-broker CLI', () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'tb-e2e-keys-'));
    const partnerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const partnerKeyFile = join(keyDir, 'partner.jwk.json');
    const partnerIss = `https://idp.cli-${Date.now()}.example`;
    writeFileSync(partnerKeyFile, JSON.stringify({ ...partnerKey.export({ format: 'jwk' }), kid: 'cli-k1' }));

    it('issuers add (inline keys from a private JWK file: only the public part is sent), show, list, update', async () => {
      const added = await cli(['--json', 'issuers', 'add', '--issuer', partnerIss, '--jwks-file', partnerKeyFile, '--subjects', '*', '--allowed-scopes', 'read,write']);
      expect(added).toMatchObject({ code: 0, err: '' });
      const issuer = JSON.parse(added.out) as { id: string; jwks: { keys: Array<Record<string, unknown>> }; allowed_scopes: string[] };
      expect(issuer.allowed_scopes).toEqual(['read', 'write']);
      expect(JSON.stringify(issuer)).not.toContain('"d"');

      const shown = await cli(['issuers', 'show', partnerIss]);
      expect(shown.code).toBe(0);
      expect(shown.out).toContain(issuer.id);
      const keys = await cli(['--json', 'issuers', 'show', issuer.id, '--keys']);
      expect(JSON.parse(keys.out)).toMatchObject({ source: 'inline', keys: [expect.objectContaining({ kid: 'cli-k1' })] });

      const listed = await cli(['--json', 'issuers', 'list', '--all']);
      expect((JSON.parse(listed.out) as { items: Array<{ issuer: string }> }).items.map((i) => i.issuer)).toContain(partnerIss);

      const updated = await cli(['--json', 'issuers', 'update', partnerIss, '--allowed-scopes', 'read', '--max-assertion-lifetime', '120']);
      expect(JSON.parse(updated.out)).toMatchObject({ allowed_scopes: ['read'], max_assertion_lifetime_s: 120 });
    });

    it('assertion mint + token request (jwt-bearer, public): a token; the same assertion again: invalid_grant, exit 1', async () => {
      const minted = await cli(['assertion', 'mint', '--key', partnerKeyFile, '--iss', partnerIss, '--sub', 'bob', '--lifetime', '60']);
      expect(minted.code).toBe(0);
      const assertionFile = join(keyDir, 'assertion.jwt');
      writeFileSync(assertionFile, minted.out);
      const first = await eventually(async () => {
        const result = await cli(['--json', 'token', 'request', '--assertion', `@${assertionFile}`, '--scope', 'read']);
        return result.code === 0 ? result : undefined;
      }, 10_000, 300);
      expect(JSON.parse(first.out)).toMatchObject({ token_type: 'Bearer', scope: 'read' });
      const replay = await cli(['token', 'request', '--assertion', `@${assertionFile}`, '--scope', 'read']);
      expect(replay.code).toBe(1);
      expect(replay.err).toMatch(/error: invalid_grant: .+ \(HTTP 400 from /);
    });

    it('assertion mint --typ client-authentication+jwt: the header says so, and the broker refuses it as a grant', async () => {
      const minted = await cli(['--json', 'assertion', 'mint', '--key', partnerKeyFile, '--iss', partnerIss, '--sub', 'bob', '--typ', 'client-authentication+jwt']);
      expect(minted.code).toBe(0);
      const { assertion, header } = JSON.parse(minted.out) as { assertion: string; header: Record<string, unknown> };
      expect(header.typ).toBe('client-authentication+jwt');
      const result = await cli(['token', 'request', '--assertion', assertion, '--scope', 'read']);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/error: invalid_grant: .*client authentication JWT.* \(HTTP 400 from /);
    });

    it('a scope the issuer does not allow: invalid_scope with the server description', async () => {
      const minted = await cli(['assertion', 'mint', '--key', partnerKeyFile, '--iss', partnerIss, '--sub', 'bob']);
      const result = await cli(['token', 'request', '--assertion', minted.out, '--scope', 'admin']);
      expect(result.code).toBe(1);
      expect(result.err).toContain('invalid_scope');
    });

    it('token exchange of a workload token, and a federated_jwt client with no secret (issue 18)', async () => {
      const ciIss = `https://ci.cli-${Date.now()}.example`;
      const added = await cli(['--json', 'issuers', 'add', '--issuer', ciIss, '--jwks-file', partnerKeyFile, '--subjects', '*', '--allowed-scopes', 'deploy', '--accepted-audiences', 'https://sts.cli.example']);
      expect(added.code).toBe(0);
      expect(JSON.parse(added.out)).toMatchObject({ accepted_audiences: ['https://sts.cli.example'] });
      const subject = await cli(['assertion', 'mint', '--key', partnerKeyFile, '--iss', ciIss, '--sub', 'repo:acme/api:ref:refs/heads/main', '--aud', 'https://sts.cli.example', '--lifetime', '120']);
      expect(subject.code).toBe(0);
      const exchanged = await eventually(async () => {
        const result = await cli(['--json', 'token', 'exchange', '--subject-token', subject.out, '--scope', 'deploy']);
        return result.code === 0 ? result : undefined;
      }, 10_000, 300);
      expect(JSON.parse(exchanged.out)).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'deploy' });
      // Not single-use: the same subject token again.
      expect((await cli(['token', 'exchange', '--subject-token', subject.out, '--token-only'])).code).toBe(0);

      const clientId = `cli-workload-${Date.now()}`;
      const client = await cli(['--json', 'clients', 'add', '--client-id', clientId, '--auth-method', 'federated_jwt', '--federated-credential', `${ciIss}=system:serviceaccount:ci:deployer`, '--scope', 'deploy']);
      expect(client.code).toBe(0);
      expect(JSON.parse(client.out)).toMatchObject({ federated_credentials: [{ issuer: ciIss, subject: 'system:serviceaccount:ci:deployer' }] });
      expect(client.out).not.toContain('client_secret');
      const workloadToken = async () => (await cli(['assertion', 'mint', '--key', partnerKeyFile, '--iss', ciIss, '--sub', 'system:serviceaccount:ci:deployer', '--aud', 'https://sts.cli.example'])).out;
      const token = await eventually(async () => {
        const result = await cli(['--json', 'token', 'request', '--grant-type', 'client_credentials', '--client-id', clientId, '--client-federated-token', await workloadToken()]);
        return result.code === 0 ? result : undefined;
      }, 10_000, 300);
      expect(JSON.parse(token.out)).toMatchObject({ token_type: 'Bearer', scope: 'deploy' });
      const refused = await cli(['token', 'request', '--grant-type', 'client_credentials', '--client-id', clientId, '--client-federated-token', await workloadToken(), '--client-secret', 'x']);
      expect(refused.code).not.toBe(0);
    });

    it('clients add (client_secret_basic), client_credentials, rotate-secret: the old secret stops working', async () => {
      const clientId = `cli-client-${Date.now()}`;
      const added = await cli(['--json', 'clients', 'add', '--client-id', clientId, '--auth-method', 'client_secret_basic', '--scope', 'read']);
      expect(added.code).toBe(0);
      const oldSecret = (JSON.parse(added.out) as { client_secret: string }).client_secret;
      expect(oldSecret.length).toBeGreaterThan(20);

      const token = await eventually(async () => {
        const result = await cli(['token', 'request', '--client-id', clientId, '--client-secret', oldSecret, '--token-only']);
        return result.code === 0 ? result : undefined;
      }, 10_000, 300);
      expect(token.out.split('.')).toHaveLength(3);

      const rotated = await cli(['--json', 'clients', 'rotate-secret', clientId]);
      const newSecret = (JSON.parse(rotated.out) as { client_secret: string }).client_secret;
      expect(newSecret).not.toBe(oldSecret);
      await eventually(async () => (await cli(['token', 'request', '--client-id', clientId, '--client-secret', oldSecret])).code === 1, 10_000, 300);
      const refused = await cli(['token', 'request', '--client-id', clientId, '--client-secret', oldSecret]);
      expect(refused.err).toContain('invalid_client');
      await eventually(async () => (await cli(['token', 'request', '--client-id', clientId, '--client-secret', newSecret])).code === 0, 10_000, 300);
      // The client registered client_secret_basic: the same secret in the body is another method, refused.
      const otherMethod = await cli(['token', 'request', '--client-id', clientId, '--client-secret', newSecret, '--client-auth', 'post']);
      expect(otherMethod.code).toBe(1);
      expect(otherMethod.err).toContain('invalid_client');

      const disabled = await cli(['clients', 'disable', clientId]);
      expect(disabled).toMatchObject({ code: 0, out: `disabled ${clientId}` });
      await eventually(async () => (await cli(['token', 'request', '--client-id', clientId, '--client-secret', newSecret])).code === 1, 10_000, 300);
    });

    it('token introspect and revoke: active, then inactive', async () => {
      const clientId = `cli-introspect-${Date.now()}`;
      const added = await cli(['--json', 'clients', 'add', '--client-id', clientId, '--auth-method', 'client_secret_basic', '--scope', 'read']);
      const secret = (JSON.parse(added.out) as { client_secret: string }).client_secret;
      const auth = ['--client-id', clientId, '--client-secret', secret];
      const token = await eventually(async () => {
        const result = await cli(['token', 'request', ...auth, '--token-only']);
        return result.code === 0 ? result.out : undefined;
      }, 10_000, 300);
      const before = await cli(['--json', 'token', 'introspect', token, ...auth]);
      expect(JSON.parse(before.out)).toMatchObject({ active: true, client_id: clientId });
      expect(await cli(['token', 'revoke', token, ...auth])).toMatchObject({ code: 0, out: 'revoked' });
      const after = await cli(['--json', 'token', 'introspect', token, ...auth]);
      expect(JSON.parse(after.out)).toEqual({ active: false });
    });

    it('issuers add --jwks-uri, then refresh fetches its keys now and show --keys tells where from', async () => {
      const publicJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'uri-k1', alg: 'ES256' };
      const idp = await startLoopbackIdp();
      idp.serve('/jwks.json', { keys: [publicJwk] });
      const fetches = () => idp.hits('/jwks.json');
      const jwksUri = `${idp.url}/jwks.json`;
      try {
        const iss = `https://idp.uri-${Date.now()}.example`;
        expect((await cli(['issuers', 'add', '--issuer', iss, '--jwks-uri', jwksUri, '--subjects', 'svc-a,svc-b'])).code).toBe(0);
        await eventually(async () => fetches() >= 1, 20_000, 200);
        const refreshed = await cli(['--json', 'issuers', 'refresh', iss]);
        expect(refreshed.code).toBe(0);
        expect(fetches()).toBeGreaterThanOrEqual(2);
        const keys = JSON.parse((await cli(['--json', 'issuers', 'show', iss, '--keys'])).out) as Record<string, unknown>;
        expect(keys).toMatchObject({ source: 'jwks_uri', jwks_uri: jwksUri, last_error: null, keys: [expect.objectContaining({ kid: 'uri-k1' })] });
      } finally {
        await idp.close();
      }
    });

    it('server-side failures: wrong admin key 401, duplicate issuer 409, invalid body 400, unknown client 404', async () => {
      const wrongKey = await cli(['issuers', 'list'], { TRUST_BROKER_ADMIN_KEY: 'not-the-admin-key-at-all' });
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.err).toContain('HTTP 401');

      const duplicate = await cli(['issuers', 'add', '--issuer', partnerIss, '--jwks-file', partnerKeyFile, '--subjects', '*']);
      expect(duplicate.code).toBe(1);
      expect(duplicate.err).toContain('HTTP 409');

      const invalid = await cli(['issuers', 'add', '--issuer', `${partnerIss}/other`, '--jwks-uri', 'not a url', '--subjects', '*']);
      expect(invalid.code).toBe(1);
      expect(invalid.err).toMatch(/invalid_request: .*jwks_uri/);

      const unknown = await cli(['clients', 'show', 'no-such-client']);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('HTTP 404');
    });

    it('issuers disable: its assertions are refused from then on', async () => {
      expect((await cli(['issuers', 'disable', partnerIss])).code).toBe(0);
      await eventually(async () => {
        const minted = await cli(['assertion', 'mint', '--key', partnerKeyFile, '--iss', partnerIss, '--sub', 'bob']);
        const result = await cli(['token', 'request', '--assertion', minted.out]);
        return result.code === 1 && result.err.includes('invalid_grant');
      }, 10_000, 300);
    });

    it('audit tail shows what happened (with filters) and audit verify says intact', async () => {
      const tail = await eventually(async () => {
        const result = await cli(['--json', 'audit', 'tail', '--type', 'admin', '--limit', '100']);
        const items = (JSON.parse(result.out) as { items: Array<{ issuer: string | null; action: string }> }).items;
        return items.some((event) => event.issuer === partnerIss && event.action === 'created') ? items : undefined;
      }, 15_000, 500);
      expect(tail.every((event) => (event as { type?: string }).type === 'admin')).toBe(true);
      const table = await cli(['audit', 'tail', '--outcome', 'failure']);
      expect(table.code).toBe(0);
      expect(table.out).toContain('failure');
      const verify = await cli(['audit', 'verify', '--full']);
      expect(verify.code).toBe(0);
      expect(verify.out).toMatch(/^audit chain intact: (\d+) events checked, full walk of \1 rows$/);
      const incremental = await cli(['audit', 'verify']);
      expect(incremental.code).toBe(0);
      expect(incremental.out).toMatch(/^audit chain intact: \d+ events checked(, \d+ rows walked from the verified checkpoint at sequence \d+|, full walk of \d+ rows)$/);
    });
  });

  describe('supervision', () => {
    it('a crashed service is reported and restarted', async () => {
      const pidOf = () => [...broker.output().matchAll(/^token-service +\| \[supervisor\] started \(pid (\d+)\)$/gm)].map((m) => Number(m[1]));
      const [firstPid] = pidOf();
      expect(firstPid).toBeGreaterThan(0);
      process.kill(firstPid!, 'SIGKILL');
      await eventually(async () => /token-service +\| \[supervisor\] exited \(SIGKILL\); restart 1 in 1 s/.test(broker.output()), 20_000);
      await eventually(async () => pidOf().length === 2, 30_000);
      await eventually(async () => (await fetch(`http://127.0.0.1:${ports.token}/readyz`).then((r) => r.status, () => 0)) === 200, 60_000, 500);
    });

    it('SIGTERM stops every service and the start script', async () => {
      await broker.stop(30_000);
      expect(broker.output()).toContain('start | SIGTERM: stopping every service ...');
      expect(broker.output()).toContain('start | stopped');
      for (const port of Object.values(ports)) {
        expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)).toBe(0);
      }
      expect(existsSync(join(dataDir, 'broker.json'))).toBe(false);
    });
  });
});
