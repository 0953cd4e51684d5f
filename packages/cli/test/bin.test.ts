/** The installed `trust-broker` executable: the launcher runs the built CLI and passes its exit code. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@trust-broker/testing';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '..', 'bin', 'trust-broker.js');
const cwd = mkdtempSync(join(tmpdir(), 'tb-bin-'));
const env = { PATH: process.env.PATH ?? '', TRUST_BROKER_ADMIN_KEY: '', ADMIN_API_KEY: '', TB_DATA_DIR: '' };

describe('bin/trust-broker.js', () => {
  it('--help exits 0 and lists the commands', () => {
    const result = spawnSync(process.execPath, [BIN, '--help'], { cwd, env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const command of ['issuers', 'clients', 'assertion', 'token', 'audit']) expect(result.stdout).toContain(command);
  });

  it('a usage error exits 2 with the message on stderr', () => {
    const result = spawnSync(process.execPath, [BIN, 'issuers', 'list'], { cwd, env, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: no admin key');
    expect(result.stdout).toBe('');
  });

  it('a server that does not answer exits 1', () => {
    const result = spawnSync(process.execPath, [BIN, '--registry-url', 'http://127.0.0.1:9', '--admin-key', 'k', 'issuers', 'list'], { cwd, env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cannot reach http://127.0.0.1:9/v1/issuers');
  });
});

describe('audit tail --follow', () => {
  it('prints the latest events, then only new ones as they arrive, until stopped', async () => {
    const event = (id: string, second: number) => ({ id, occurred_at: `2030-01-01T00:00:0${second}.000Z`, type: 'token', outcome: 'success' });
    const queries: string[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      queries.push(url.search);
      const since = url.searchParams.get('since');
      // Newest first, like the audit API; `since` is inclusive.
      const items = since === null ? [event('e2', 2), event('e1', 1)] : queries.length >= 3 ? [event('e3', 3), event('e2', 2)] : [event('e2', 2)];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ items: items.filter((item) => since === null || item.occurred_at >= since), next_cursor: null }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const auditUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, [BIN, '--json', '--audit-url', auditUrl, '--admin-key', 'k', 'audit', 'tail', '-f', '--interval', '1', '--type', 'token'], { cwd, env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await eventually(async () => stdout.includes('"e3"'), 20_000, 100);
      const ids = stdout.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
      expect(ids).toEqual(['e1', 'e2', 'e3']);
      expect(queries[0]).toBe('?type=token&limit=20');
      expect(queries[1]).toBe(`?type=token&since=${encodeURIComponent('2030-01-01T00:00:02.000Z')}&limit=100`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => server.close(r));
    }
  });
});
