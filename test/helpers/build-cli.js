const { execFileSync } = require('node:child_process');
const path = require('node:path');

/** Jest global setup of the integration tests: `dist/`, so tests can start `node dist/src/cli/main.js start`. */
module.exports = function buildCli() {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: path.join(__dirname, '..', '..'), stdio: 'inherit' });
};
