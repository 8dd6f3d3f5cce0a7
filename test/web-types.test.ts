/**
 * The web GUI mirrors the engine's status types (it must not import the engine). This keeps the
 * copy honest: same fields, same optionality, same types, compared on the declarations' text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
const ENGINE = join(ROOT, 'client/engine/src/api.ts');
const WEB = join(ROOT, 'client/web/src/app/api/types.ts');
const MIRRORED = ['TorrentStatus', 'FileStatus', 'PeerStatus', 'TrackerStatus', 'WebSeedStatus'];
const ALIASES = ['TorrentState', 'FilePriority'];

function declarations(file: string): Map<string, Record<string, string> | string> {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const out = new Map<string, Record<string, string> | string>();
  const text = (node: ts.Node) => node.getText(source).replace(/\s+/g, ' ').replace(/^\| /, '');
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) {
      const members: Record<string, string> = {};
      for (const m of node.members) {
        if (ts.isPropertySignature(m) && m.type) {
          members[m.name.getText(source)] = `${m.questionToken ? '?' : ''}${text(m.type)}`;
        }
      }
      out.set(node.name.text, members);
    } else if (ts.isTypeAliasDeclaration(node)) {
      // Comments between union members are not part of the type.
      out.set(
        node.name.text,
        text(node.type)
          .replace(/\/\/[^|]*/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
    }
  });
  return out;
}

describe('client/web api types mirror the engine', () => {
  const engine = declarations(ENGINE);
  const web = declarations(WEB);

  test.each(MIRRORED)('%s has the same fields', (name) => {
    expect(engine.get(name)).toBeDefined();
    expect(web.get(name)).toEqual(engine.get(name));
  });

  test.each(ALIASES)('%s is the same type', (name) => {
    expect(engine.get(name)).toBeDefined();
    expect(web.get(name)).toEqual(engine.get(name));
  });
});
