// A private network of Linux network namespaces for cluster tests: one namespace per node, each
// with a veth into a bridge that lives in its own "switch" namespace, so the host's network is
// never touched. Host names come from /etc/netns/<ns>/hosts, which `ip netns exec` mounts over
// /etc/hosts. Needs root (CI runs the suite as root).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface NetNode {
  ns: string;
  address: string;
  /** Interface name of this node's port on the bridge (inside the switch namespace). */
  port: string;
}

export class PrivateNetwork {
  readonly nodes = new Map<string, NetNode>();
  private readonly switchNs: string;
  private readonly hosts: string[] = [];
  private hostEntries: Record<string, string> = {};
  private count = 0;

  /** `prefix` keeps names unique per test run (namespace names are global). */
  constructor(
    private readonly prefix: string,
    private readonly subnet = '10.77.0',
  ) {
    this.switchNs = `${prefix}-sw`;
    ip('netns', 'add', this.switchNs);
    ip('-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.switchNs, 'link', 'set', 'br0', 'up');
    ip('-n', this.switchNs, 'link', 'set', 'lo', 'up');
  }

  /** A namespace with address <subnet>.<host>/24 on eth0, plugged into the bridge. */
  addNode(name: string, host: number): NetNode {
    const ns = `${this.prefix}-${name}`;
    const id = `${this.prefix.slice(-6)}${this.count++}`;
    const inner = `vi${id}`;
    const outer = `vo${id}`;
    ip('netns', 'add', ns);
    ip('link', 'add', inner, 'type', 'veth', 'peer', 'name', outer);
    ip('link', 'set', inner, 'netns', ns);
    ip('link', 'set', outer, 'netns', this.switchNs);
    ip('-n', ns, 'link', 'set', inner, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', `${this.subnet}.${host}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', this.switchNs, 'link', 'set', outer, 'master', 'br0');
    ip('-n', this.switchNs, 'link', 'set', outer, 'up');
    const node = { ns, address: `${this.subnet}.${host}`, port: outer };
    this.nodes.set(name, node);
    this.writeHosts();
    return node;
  }

  /** Writes the same /etc/hosts (plus localhost) for every node, present and future. */
  setHosts(entries: Record<string, string>): void {
    this.hostEntries = entries;
    this.writeHosts();
  }

  private writeHosts(): void {
    const text =
      '127.0.0.1 localhost\n' +
      Object.entries(this.hostEntries)
        .map(([name, address]) => `${address} ${name}\n`)
        .join('');
    for (const node of this.nodes.values()) {
      const dir = `/etc/netns/${node.ns}`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'hosts'), text);
      if (!this.hosts.includes(dir)) this.hosts.push(dir);
    }
  }

  /** Cuts a node off the bridge (its cable pulled), or plugs it back. */
  setLink(name: string, up: boolean): void {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    ip('-n', this.switchNs, 'link', 'set', node.port, up ? 'up' : 'down');
  }

  /** Removes every namespace (and with them the veths and the bridge) and the hosts files. */
  destroy(): void {
    for (const node of this.nodes.values()) {
      try {
        ip('netns', 'del', node.ns);
      } catch {
        // Already gone.
      }
    }
    try {
      ip('netns', 'del', this.switchNs);
    } catch {
      // Already gone.
    }
    for (const dir of this.hosts) fs.rmSync(dir, { recursive: true, force: true });
  }
}
