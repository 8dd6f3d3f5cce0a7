// A fresh network namespace with only its loopback, for tests that need addresses the host's
// loopback does not have (public-looking or 10.x ones) or multicast of their own. Named after
// the test process, so namespaces a crashed run left behind are recognised and removed.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function deleteNamespace(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    // never created, or already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class LoopbackNamespace {
  readonly name: string;

  constructor(private readonly prefix: string) {
    this.name = `${prefix}${process.pid}`;
  }

  /** Creates it with lo up, `addresses` (as /32) on lo and, if asked, multicast on lo. */
  create(addresses: string[] = [], multicast = false): void {
    this.removeStale();
    ip('netns', 'add', this.name);
    ip('-n', this.name, 'link', 'set', 'lo', 'up');
    for (const a of addresses) ip('-n', this.name, 'addr', 'add', `${a}/32`, 'dev', 'lo');
    if (multicast) {
      ip('-n', this.name, 'link', 'set', 'lo', 'multicast', 'on');
      ip('-n', this.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    }
  }

  /**
   * Joins this namespace and `other` like two hosts on a LAN: a veth pair made inside them
   * (`veth0` in each, so nothing is left in the host's namespace and it dies with either of
   * them), `mine` and `theirs` as /24 addresses, and multicast routed to it on both sides (without
   * that route LSD finds nothing, see INTEROP-NOTES.md).
   */
  link(other: LoopbackNamespace, mine: string, theirs: string): void {
    const veth = ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0'];
    ip('-n', this.name, ...veth, 'netns', other.name);
    for (const [ns, addr] of [
      [this.name, mine],
      [other.name, theirs],
    ]) {
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'veth0');
      ip('-n', ns, 'link', 'set', 'veth0', 'up');
      ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'veth0');
    }
  }

  destroy(): void {
    deleteNamespace(this.name);
  }

  /** `ip` arguments that run `command` inside the namespace. */
  exec(...command: string[]): string[] {
    return ['netns', 'exec', this.name, ...command];
  }

  /** `ip` arguments that run a TypeScript script of test/ inside it (test/engine/ts-child.js). */
  node(script: string, ...args: string[]): string[] {
    return this.exec(
      process.execPath,
      path.join(__dirname, '..', 'engine', 'ts-child.js'),
      script,
      ...args,
    );
  }

  private removeStale(): void {
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of list.split('\n')) {
      const m = new RegExp(`^${this.prefix}(\\d+)\\b`).exec(line);
      if (m && !alive(Number(m[1]))) deleteNamespace(`${this.prefix}${m[1]}`);
    }
  }
}
