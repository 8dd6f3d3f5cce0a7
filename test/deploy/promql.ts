// PromQL expressions checked with the real promtool: each is wrapped in a recording rule.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';

/** Throws with promtool's message unless every expression parses. */
export function checkPromql(exprs: string[]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-promql-'));
  try {
    const file = path.join(dir, 'rules.yml');
    const rules = exprs.map((expr, i) => ({ record: `enjambre:check:${i}`, expr }));
    fs.writeFileSync(file, stringify({ groups: [{ name: 'check', rules }] }));
    execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The metric names an expression reads: identifiers followed by a selector, range or space. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const withoutNamePatterns = expr.replace(/__name__=~"[^"]*"/g, '');
  for (const m of withoutNamePatterns.matchAll(/\b(enjambre_[a-z0-9_]+|up|kube_[a-z0-9_]+)\b/g)) {
    names.add(m[1]);
  }
  for (const m of expr.matchAll(/__name__=~"([^"]+)"/g)) {
    const alternatives = /^enjambre_tracker_\(([^)]+)\)(_[a-z_]+)$/.exec(m[1]);
    if (!alternatives) throw new Error(`unsupported __name__ pattern ${m[1]}`);
    for (const alt of alternatives[1].split('|'))
      names.add(`enjambre_tracker_${alt}${alternatives[2]}`);
  }
  return [...names];
}

/** A histogram's series name back to its family: foo_bucket, foo_sum, foo_count -> foo. */
export function family(name: string, histograms: Set<string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return histograms.has(base) ? base : name;
}
