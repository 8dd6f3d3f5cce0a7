#!/usr/bin/env node
// Summarises V8 CPU profiles (`node --cpu-prof`, as `npm run bench:client -- --profile` writes
// them into bench/out/profiles/): self time per function and per source file, top first.
//
//   node bench/client/profile-summary.mjs FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const argv = process.argv.slice(2);
const topIndex = argv.indexOf('--top');
const top = topIndex >= 0 ? Number(argv[topIndex + 1]) : 25;
const files = argv.filter((a, i) => a.endsWith('.cpuprofile') && i !== topIndex + 1);
if (files.length === 0) {
  console.error('usage: profile-summary.mjs FILE.cpuprofile [--top N]');
  process.exit(2);
}

const short = (url) => {
  if (!url) return '';
  const p = url.replace(/^file:\/\//, '');
  const i = p.indexOf('/client/engine/');
  if (i >= 0) return p.slice(i + 1);
  const j = p.indexOf('/packages/');
  if (j >= 0) return p.slice(j + 1);
  return p.startsWith('node:') ? p : path.basename(p);
};

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Sample time deltas are per sample; attribute each to its node.
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byFile = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = `${functionName || '(anonymous)'} ${short(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const key = url ? short(url) : functionName; // (program), (garbage collector), (idle)
    byFile.set(key, (byFile.get(key) ?? 0) + us);
  }
  const print = (title, map) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`,
      );
    }
  };
  console.log(`# ${file}: ${(total / 1e6).toFixed(2)} s sampled (main thread only)`);
  print('self time by function', byFunction);
  print('self time by file', byFile);
}
