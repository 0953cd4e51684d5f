// Every test starts real processes on a loaded 2-core machine: generous timeouts, one file at a time.
module.exports = { ...require('../jest.preset.js'), testTimeout: 180000 };
