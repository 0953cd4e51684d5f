// npm run test:scale: the scale-out test (scale/), apart from the system tests because it
// runs a Redis Cluster of its own and five services at once.
module.exports = { ...require('../jest.preset.js'), testMatch: ['<rootDir>/scale/**/*.test.ts'], testTimeout: 300000 };
