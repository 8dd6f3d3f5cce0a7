#!/usr/bin/env node
// Builds the tracker's optional N-API addon (services/tracker/native, batched UDP I/O) with
// node-gyp and the machine's C compiler. Never fails the caller: without a compiler or headers
// the tracker uses Node's dgram (it logs one line saying so), so this prints why and exits 0.
// Run by `npm ci` (prepare), `npm run build`, `npm test` and `npm start`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'services/tracker/native');
const output = path.join(dir, 'build/Release/udp_mmsg.node');

if (process.platform !== 'linux') {
  console.log('native UDP addon: not Linux, skipped (the tracker uses dgram)');
  process.exit(0);
}

/** node-gyp as npm ships it (beside the npm that runs this, else the usual global place). */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) {
    candidates.push(
      path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    );
  }
  candidates.push(
    path.join(
      path.dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  );
  return candidates.find((c) => existsSync(c));
}

const gyp = nodeGyp();
if (gyp === undefined) {
  console.log('native UDP addon: node-gyp not found, skipped (the tracker uses dgram)');
  process.exit(0);
}
const args = [
  gyp,
  existsSync(path.join(dir, 'build/Makefile')) ? 'build' : 'rebuild',
  '--directory',
  dir,
];
// Distribution headers when installed (Debian's /usr/include/node), else node-gyp downloads.
const nodedir =
  process.env.npm_config_nodedir ??
  (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
const result = spawnSync(process.execPath, [...args, '--loglevel=warn'], { stdio: 'inherit' });
if (result.status !== 0 || !existsSync(output)) {
  console.log('native UDP addon: build failed (see above); the tracker will use dgram');
  process.exit(0);
}
console.log(`native UDP addon: ${path.relative(root, output)}`);
