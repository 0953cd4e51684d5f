/** The installed `trust-broker` executable: the launcher runs the built CLI and passes its exit code. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
