import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUDIT_URL, DEFAULT_REGISTRY_URL, DEFAULT_TOKEN_URL, resolveCliConfig } from './cli-config';

function workdirWithLocalRun(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'tb-cli-config-'));
  mkdirSync(join(cwd, '.data'));
  writeFileSync(join(cwd, '.data', 'local-secrets.json'), JSON.stringify({ ADMIN_API_KEY: 'file-key' }));
  writeFileSync(
    join(cwd, '.data', 'broker.json'),
    JSON.stringify({ token_url: 'http://localhost:9080/oauth2/token', registry_url: 'http://localhost:9081', audit_url: 'http://localhost:9082' }),
  );
  return cwd;
}

describe('resolveCliConfig', () => {
  const empty = mkdtempSync(join(tmpdir(), 'tb-cli-config-empty-'));

  it('falls back to the CONTRACT.md local defaults and no admin key', () => {
    expect(resolveCliConfig({}, {}, empty)).toEqual({
      tokenUrl: DEFAULT_TOKEN_URL,
      registryUrl: DEFAULT_REGISTRY_URL,
      auditUrl: DEFAULT_AUDIT_URL,
      adminKey: undefined,
      json: false,
    });
  });

  it('reads what npm start wrote in .data/', () => {
    expect(resolveCliConfig({}, {}, workdirWithLocalRun())).toMatchObject({
      tokenUrl: 'http://localhost:9080/oauth2/token',
      registryUrl: 'http://localhost:9081',
      auditUrl: 'http://localhost:9082',
      adminKey: 'file-key',
    });
  });

  it('finds the data folder through TB_DATA_DIR', () => {
    const cwd = workdirWithLocalRun();
    expect(resolveCliConfig({}, { TB_DATA_DIR: join(cwd, '.data') }, empty).adminKey).toBe('file-key');
  });

  it('env wins over the files, flags win over env; ADMIN_API_KEY is the fallback variable', () => {
    const cwd = workdirWithLocalRun();
    const env = { TRUST_BROKER_REGISTRY_URL: 'http://env:1', ADMIN_API_KEY: 'env-key-2', TRUST_BROKER_ADMIN_KEY: '' };
    expect(resolveCliConfig({}, env, cwd)).toMatchObject({ registryUrl: 'http://env:1', adminKey: 'env-key-2' });
    expect(resolveCliConfig({ registryUrl: 'http://flag:2', adminKey: 'flag-key', json: true }, { ...env, TRUST_BROKER_ADMIN_KEY: 'env-key-1' }, cwd)).toMatchObject({
      registryUrl: 'http://flag:2',
      adminKey: 'flag-key',
      json: true,
    });
    expect(resolveCliConfig({}, { ...env, TRUST_BROKER_ADMIN_KEY: 'env-key-1' }, cwd).adminKey).toBe('env-key-1');
  });

  it('ignores a corrupt state file', () => {
    const cwd = workdirWithLocalRun();
    writeFileSync(join(cwd, '.data', 'broker.json'), '{oops');
    expect(resolveCliConfig({}, {}, cwd).registryUrl).toBe(DEFAULT_REGISTRY_URL);
  });
});
