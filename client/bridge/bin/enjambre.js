#!/usr/bin/env node
'use strict';
// A committed entry point, so that `npm ci` links `enjambre` into node_modules/.bin even before
// the TypeScript is built; it explains what to do when the build is missing.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('enjambre is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
require(cli)
  .main(process.argv)
  .then(() => process.exit());
