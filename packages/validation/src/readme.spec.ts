import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES } from './errors';

describe('README.md', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

  it.each(REASON_CODES.map((reason) => [reason]))('lists the reason code %s in the table', (reason) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${reason}\` \\| \`?[a-z_]+\`? \\| .+ \\|$`, 'm'));
  });
});
