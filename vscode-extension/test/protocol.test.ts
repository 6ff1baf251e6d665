import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Notification, ServerCommand } from '../src/protocol';

// The wire names as the Go types have them (lsp/protocol_test.go keeps the file current).
interface WireNames {
  commands: string[];
  notifications: string[];
  types: Record<string, string[]>;
  subsets: Record<string, string[]>;
}

const root = path.join(__dirname, '..', '..');
const wire: WireNames = JSON.parse(fs.readFileSync(path.join(root, '..', 'testdata', 'lsp-protocol.json'), 'utf8'));

/** The fields of every exported interface in src/protocol.ts, by interface name. */
function interfaces(): Map<string, string[]> {
  const src = fs.readFileSync(path.join(root, 'src', 'protocol.ts'), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of src.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields = [...m[2].matchAll(/^ {2}(\w+)\??:/gm)].map((f) => f[1]).sort();
    out.set(m[1], fields);
  }
  return out;
}

describe('protocol.ts and the Go LSP types', () => {
  const ts = interfaces();

  it('names the same commands and notifications', () => {
    assert.deepEqual(Object.values(ServerCommand).sort(), [...wire.commands].sort());
    assert.deepEqual(Object.values(Notification).sort(), [...wire.notifications].sort());
  });

  for (const [name, fields] of Object.entries(wire.types)) {
    it(`${name} has the Go type's fields`, () => {
      assert.ok(ts.has(name), `protocol.ts has no interface ${name}`);
      assert.deepEqual(ts.get(name), [...fields].sort(), `${name}: protocol.ts differs from the server`);
    });
  }

  for (const [name, fields] of Object.entries(wire.subsets)) {
    it(`${name} declares only fields the server sends`, () => {
      assert.ok(ts.has(name), `protocol.ts has no interface ${name}`);
      const extra = (ts.get(name) ?? []).filter((f) => !fields.includes(f));
      assert.deepEqual(extra, [], `${name}: protocol.ts declares fields the server does not send`);
    });
  }
});
