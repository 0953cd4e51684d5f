import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addFieldFlags, buildBodyFromFlags, type FieldFlag } from './field-flags';
import { parseList } from './option-parsers';

const TABLE: readonly FieldFlag[] = [
  { flags: '--display-name <name>', help: 'a name for people', field: 'display_name' },
  { flags: '--scopes <list>', help: 'comma-separated', field: 'allowed_scopes', parse: parseList, toField: (scopes: string[]) => scopes.join(' ') },
  { flags: '--require-jti', help: "'jti' required", field: 'require_jti', noHelp: "'jti' optional" },
  { flags: '--status <status>', help: 'active or disabled', field: 'status', updateOnly: true },
];

function parse(args: string[], purpose: 'add' | 'update' = 'update'): Record<string, unknown> {
  const command = addFieldFlags(new Command('add').exitOverride(), TABLE, purpose);
  command.parse(args, { from: 'user' });
  return buildBodyFromFlags(command.opts(), TABLE);
}

describe('field flags', () => {
  it('sets each given field by its API name, through its parser and toField', () => {
    expect(parse(['--display-name', 'Partner', '--scopes', 'a,b', '--scopes', 'c', '--no-require-jti'])).toEqual({
      display_name: 'Partner',
      allowed_scopes: 'a b c',
      require_jti: false,
    });
  });

  it('sends nothing for a flag not given', () => {
    expect(parse([])).toEqual({});
  });

  it('takes the --body file as the base and lets flags win over it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-field-flags-')), 'body.json');
    writeFileSync(file, JSON.stringify({ display_name: 'From file', condition: 'true' }));
    expect(parse(['--body', file, '--display-name', 'From flag'])).toEqual({ display_name: 'From flag', condition: 'true' });
  });

  it('lists an update-only flag in the help of update only, and accepts it in both', () => {
    expect(addFieldFlags(new Command('add'), TABLE, 'add').helpInformation()).not.toContain('--status');
    expect(addFieldFlags(new Command('update'), TABLE, 'update').helpInformation()).toContain('--status');
    expect(parse(['--status', 'disabled'], 'add')).toEqual({ status: 'disabled' });
  });
});
