/**
 * The admin console end to end, the way an admin meets it: the real system started as
 * `npm start` starts it (scripts/start.mjs, after turbo's build; a fresh database and Redis
 * prefix, free ports, `--demo` so the registry may fetch keys from loopback), a partner
 * IdP serving its JWKS on loopback, and Debian's Chromium driven by playwright-core.
 *
 * Sign in; add the partner by its jwks_uri and see its key's kid appear; a grant works;
 * disable the partner and see a grant refused; find that refusal in the audit view; verify
 * the chain (from the last checkpoint, then the whole chain as NDJSON); add a client and use the secret shown once. Each page is screenshotted under
 * test-output/screenshots/ and checked with axe-core (no serious or critical violation),
 * and no Content-Security-Policy violation may happen on the way.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertionClaims,
  eventually,
  generatePartyKey,
  jwksOf,
  signAssertion,
  startLoopbackIdp,
  startWholeSystem,
  type LoopbackIdp,
  type PartyKey,
  type WholeSystem,
} from '@trust-broker/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeViolations, seriousViolations } from './axe';
import { launchChromium } from './chromium';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const SCREENSHOTS = join(HERE, '..', 'test-output', 'screenshots');
const ADMIN_KEY = `console-e2e-${'k'.repeat(32)}`;
const KID = 'partner-signing-key-2026';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('the admin console, end to end', () => {
  let system: WholeSystem;
  let idp: LoopbackIdp;
  let idpKey: PartyKey;
  let iss: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const consoleUrl = () => `http://127.0.0.1:${system.ports.registry}/console`;
  const brokerIssuer = () => `http://127.0.0.1:${system.ports.token}`;

  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });

    // The partner's IdP: its public keys at /jwks.json on loopback.
    idpKey = await generatePartyKey('ES256', KID);
    idp = await startLoopbackIdp();
    idp.serve('/jwks.json', jwksOf(idpKey), 'application/json', 'max-age=300');
    iss = idp.url;

    system = await startWholeSystem('console-e2e', {
      script: join(ROOT, 'scripts', 'start.mjs'),
      env: { ADMIN_API_KEY: ADMIN_KEY, KEY_ENCRYPTION_KEY: '', LOG_LEVEL: 'warn' },
      args: ['--no-build', '--demo'],
    });

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await idp?.close();
  });

  const nav = (section: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section }).click();

  /** A screenshot under test-output/screenshots/, and axe-core on the page as it is. */
  async function checkPage(name: string) {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
  }

  async function grant(): Promise<{ status: number; body: { error?: string; access_token?: string } }> {
    const assertion = await signAssertion(idpKey, assertionClaims({ iss, sub: 'alice@partner.example', aud: brokerIssuer() }));
    const response = await fetch(`${brokerIssuer()}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion, scope: 'read' }),
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  }

  it('serves the console with its CSP, and signs in with the admin key', async () => {
    const response = await page.goto(consoleUrl());
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const keyField = page.getByLabel('Admin API key');
    await keyField.waitFor();
    await checkPage('01-sign-in');

    await keyField.fill('not-the-admin-key-0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('This key was refused').count()).toBe(1);

    await keyField.fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    for (const section of ['Trusted issuers', 'Clients', 'Audit']) await page.getByRole('link', { name: section }).waitFor();
    await page.getByText('No trusted issuer yet').waitFor();
    // The key lives in this tab's sessionStorage, nowhere else.
    const storage = await page.evaluate(() => ({ local: localStorage.length, cookie: document.cookie, session: Object.keys(sessionStorage) }));
    expect(storage).toEqual({ local: 0, cookie: '', session: ['trust-broker.admin-key'] });
  });

  it('adds a partner by its jwks_uri on loopback, with its condition checked as it is typed, and shows its kid', async () => {
    await page.getByRole('button', { name: 'Add issuer' }).click();
    await page.getByRole('textbox', { name: 'Issuer', exact: true }).fill(iss);
    await page.getByRole('textbox', { name: 'Display name' }).fill('Partner IdP');
    await page.getByRole('textbox', { name: 'JWKS URI' }).fill(`${iss}/jwks.json`);
    await page.getByRole('textbox', { name: 'Subjects' }).fill('*');
    await page.getByRole('textbox', { name: 'Allowed scopes' }).fill('read write');
    const condition = page.getByRole('textbox', { name: 'Condition (CEL)' });
    await condition.fill("claims.sub.endsWith('@partner.example') &&");
    // The registry's own CEL compiler answers beside the field.
    await expect.poll(async () => (await condition.getAttribute('aria-invalid')) === 'true', { timeout: 10_000 }).toBe(true);
    const describedBy = (await condition.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${describedBy.split(' ').find((id) => id.endsWith('-error'))}"]`).innerText()).toMatch(/^condition: /);
    await checkPage('02-add-issuer');

    await condition.fill("claims.sub.endsWith('@partner.example')");
    await expect.poll(async () => condition.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('false');
    await page.getByRole('button', { name: 'Save' }).click();

    const keys = page.getByRole('table', { name: 'Keys held' });
    await keys.waitFor();
    await expect.poll(() => keys.innerText()).toContain(KID);
    await page.getByText('Last fetch error: none').waitFor();
    await checkPage('03-issuer');

    await page.getByRole('button', { name: 'Refresh keys' }).click();
    await expect.poll(() => keys.innerText()).toContain(KID);
  });

  it('lists the partner with its status and key status', async () => {
    await nav('Trusted issuers');
    const table = page.getByRole('table', { name: 'Trusted issuers' });
    await table.waitFor();
    await expect.poll(() => table.innerText()).toMatch(/keys OK/i);
    const text = await table.innerText();
    expect(text).toContain(iss);
    expect(text).toMatch(/active/i);
    expect(text).toMatch(/1 key, fetched/);
    await checkPage('04-issuers');
  });

  it('disables the partner, and a grant is refused', async () => {
    const granted = await grant();
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    await page.getByRole('link', { name: iss }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Enable' }).isEnabled()).toBe(true);
    // Admin changes reach every token-service replica within 2 s (CONTRACT.md).
    const refused = await eventually(async () => {
      const answer = await grant();
      return answer.status === 400 ? answer : undefined;
    }, 10_000, 200);
    expect(refused.body.error).toBe('invalid_grant');
  });

  it('enables the partner again, and grants work again', async () => {
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Disable' }).isEnabled()).toBe(true);
    const granted = await eventually(async () => {
      const answer = await grant();
      return answer.status === 200 ? answer : undefined;
    }, 10_000, 200);
    expect(granted.body.access_token).toEqual(expect.any(String));
    // Disabled again, so that the audit view below has the refusal as its newest failure.
    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Enable' }).isEnabled()).toBe(true);
  });

  it('finds that refusal in the audit view, charts it, and verifies the chain', async () => {
    await nav('Audit');
    await page.getByRole('combobox', { name: 'Type' }).selectOption('token');
    await page.getByRole('combobox', { name: 'Outcome' }).selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const events = page.getByRole('table', { name: 'Audit events' });
    // Audit events travel through a queue to the audit-worker: refresh until it is there.
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await events.count()) > 0 && /Unknown or disabled issuer/.test(await events.innerText());
    }, 30_000, 1000);
    const refusal = events.getByRole('row').filter({ hasText: 'issuer_unknown' }).first();
    expect(await refusal.innerText()).toMatch(/failure/i);
    await expect
      .poll(async () => page.getByRole('img', { name: /Token requests per minute/ }).getAttribute('aria-label'))
      .toMatch(/[1-9]\d* succeeded, [1-9]\d* failed/);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText('Chain intact').waitFor();
    await checkPage('05-audit');

    // The whole chain, asked as NDJSON through the registry's relay: the same answer, marked as a full walk.
    await page.getByRole('checkbox', { name: 'Walk the whole chain' }).check();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/events checked \(the whole chain\): none was changed/).waitFor();
    await expect.poll(async () => page.getByRole('button', { name: 'Verify chain' }).isEnabled()).toBe(true);
  });

  it('adds a client and shows its secret once; the secret works', async () => {
    await nav('Clients');
    await page.getByText('No client yet').waitFor();
    await page.getByRole('button', { name: 'Add client' }).click();
    await page.getByRole('textbox', { name: 'Client name' }).fill('Nightly reports');
    await page.getByRole('combobox', { name: 'Authentication method' }).selectOption('client_secret_basic');
    await page.getByRole('textbox', { name: 'Scope' }).fill('reports:read');
    await page.getByRole('button', { name: 'Save' }).click();
    const secret = await page.getByTestId('client-secret').innerText();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await checkPage('06-client-secret');
    const clientId = (await page.getByRole('heading', { level: 2 }).innerText()).replace(/^Client (.+) added$/, '$1');

    const token = await fetch(`${brokerIssuer()}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(token.status).toBe(200);

    await page.getByRole('link', { name: 'Back to clients' }).click();
    const table = page.getByRole('table', { name: 'Clients' });
    await table.waitFor();
    expect(await table.innerText()).toContain('Nightly reports');
    await checkPage('07-clients');
    await page.getByRole('link', { name: clientId }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);
    await checkPage('08-client');
  });

  it('adds a federated_jwt client by its federated credentials, an unregistered issuer refused beside the field', async () => {
    await nav('Clients');
    await page.getByRole('button', { name: 'Add client' }).click();
    await page.getByRole('textbox', { name: 'Client name' }).fill('Partner workload');
    await page.getByRole('combobox', { name: 'Authentication method' }).selectOption('federated_jwt');
    const credentials = page.getByRole('textbox', { name: 'Federated credentials' });
    await credentials.fill(JSON.stringify([{ issuer: 'https://not-registered.example', subject: 'workload-7' }]));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await credentials.getAttribute('aria-invalid')) ?? '').toBe('true');
    const describedBy = (await credentials.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${describedBy.split(' ').find((id) => id.endsWith('-error'))}"]`).innerText()).toMatch(/^federated_credentials\[0\]\.issuer: .*not a registered trusted issuer/);
    await credentials.fill(JSON.stringify([{ issuer: iss, subject: 'workload-7' }]));
    await page.getByRole('button', { name: 'Save' }).click();
    const clientId = (await page.getByRole('heading', { level: 2, name: /^Client .+ added$/ }).innerText()).replace(/^Client (.+) added$/, '$1');

    await page.getByRole('link', { name: 'Open the client' }).click();
    await page.getByText(`${iss} · workload-7`).waitFor();
    const stored = (await (await fetch(`http://127.0.0.1:${system.ports.registry}/v1/clients/${encodeURIComponent(clientId)}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { federated_credentials: unknown };
    expect(stored.federated_credentials).toEqual([{ issuer: iss, subject: 'workload-7' }]);
  });

  it('met no Content-Security-Policy violation on the way', () => {
    expect(cspViolations).toEqual([]);
  });
});
