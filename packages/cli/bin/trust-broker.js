#!/usr/bin/env node
// The `trust-broker` executable. A committed file, so `npm ci` links it even before the
// TypeScript is built (npm skips bins whose target does not exist at install time).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('trust-broker is not built yet: run `npx turbo run build --filter=@trust-broker/cli` (npm start builds it too)\n');
  process.exit(2);
}
require(main);
