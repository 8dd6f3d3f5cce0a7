// Builds the web GUI (client/web) when it is part of this checkout, so that `npm start` serves it.
// Without client/web the bridge still runs and its page says how to build the GUI.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const web = 'client/web';
if (!existsSync(`${web}/package.json`)) {
  console.log(`${web} is not in this checkout: skipping the web GUI build`);
  process.exit(0);
}
const root = JSON.parse(readFileSync('package.json', 'utf8'));
const args = (root.workspaces ?? []).includes(web)
  ? ['run', 'build', '-w', web]
  : ['--prefix', web, 'run', 'build'];
const res = spawnSync('npm', args, { stdio: 'inherit' });
process.exit(res.status ?? 1);
