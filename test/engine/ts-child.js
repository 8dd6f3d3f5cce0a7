// Runs a TypeScript test script in a child process without a build: compiles .ts files on load
// with TypeScript's transpileModule and maps @enjambre/* to the workspaces' sources, as jest does.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const workspaces = {
  '@enjambre/bittorrent': 'packages/bittorrent/src',
  '@enjambre/dht': 'packages/dht/src',
  '@enjambre/proto': 'proto/src',
  '@enjambre/tracker': 'services/tracker/src',
  '@enjambre/engine': 'client/engine/src',
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  for (const [name, dir] of Object.entries(workspaces)) {
    if (request === name || request.startsWith(name + '/')) {
      request = path.join(root, dir, request.slice(name.length));
    }
  }
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (err) {
    for (const ext of ['.ts', '/index.ts']) {
      try {
        return resolve.call(this, request + ext, parent, ...rest);
      } catch {
        // try the next form
      }
    }
    throw err;
  }
};
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
require(path.resolve(process.argv[2]));
