import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_SERVICE_REASONS } from './reasons';

describe('README.md', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

  it.each(TOKEN_SERVICE_REASONS.map((reason) => [reason]))('lists the reason code %s in the table', (reason) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${reason}\` \\| .+ \\| .+ \\|$`, 'm'));
  });
});
