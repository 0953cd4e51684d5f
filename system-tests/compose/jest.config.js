// `npm run test:compose`: the compose stack on a real Docker engine. Not part of the
// system-tests workspace's own `npm test`: the root `npm test` runs it last.
module.exports = { ...require('../../jest.preset.js'), rootDir: __dirname, testMatch: ['<rootDir>/*.test.ts'], testTimeout: 1_800_000 };
