import * as assert from 'node:assert/strict';
import type { Position, RunArgs } from '../src/protocol';
import { buildRunArgs, type EditorLike } from '../src/runArgs';

const text = 'def f():\n    x = 1\n    print(x)\n\nf()\n';

/** An editor over `text` with the selection [start, end). */
function editor(start: Position, end: Position, languageId = 'python', uri = 'file:///ws/a.py'): EditorLike {
  const lines = text.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return {
    document: {
      uri: { toString: () => uri },
      languageId,
      getText: (r) => (r ? text.slice(offset(r.start), offset(r.end)) : text),
    },
    selection: { isEmpty: start.line === end.line && start.character === end.character, start, end },
  };
}

const p = (line: number, character: number): Position => ({ line, character });

describe('buildRunArgs', () => {
  it('selection, else the whole unsaved buffer', () => {
    const cases: Array<[string, EditorLike, { stdin?: string; args?: string[]; interactive?: boolean }, RunArgs]> = [
      ['no selection', editor(p(1, 4), p(1, 4)), {}, { uri: 'file:///ws/a.py', languageId: 'python', text }],
      [
        'indented lines',
        editor(p(1, 0), p(3, 0)),
        {},
        { uri: 'file:///ws/a.py', languageId: 'python', text, range: { start: p(1, 0), end: p(3, 0) } },
      ],
      ['only white space selected', editor(p(2, 12), p(4, 0)), {}, { uri: 'file:///ws/a.py', languageId: 'python', text }],
      [
        'stdin and args',
        editor(p(0, 0), p(0, 0), 'python', 'untitled:Untitled-1'),
        { stdin: '', args: ['-v'] },
        { uri: 'untitled:Untitled-1', languageId: 'python', text, stdin: '', args: ['-v'] },
      ],
      ['no args', editor(p(0, 0), p(0, 0)), { args: [] }, { uri: 'file:///ws/a.py', languageId: 'python', text }],
      [
        'interactive (Run in Terminal)',
        editor(p(0, 0), p(0, 0)),
        { interactive: true },
        { uri: 'file:///ws/a.py', languageId: 'python', text, interactive: true },
      ],
      ['not interactive', editor(p(0, 0), p(0, 0)), { interactive: false }, { uri: 'file:///ws/a.py', languageId: 'python', text }],
    ];
    for (const [name, ed, opts, want] of cases) {
      assert.deepEqual(buildRunArgs(ed, opts), want, name);
    }
  });

  it('the range is plain JSON', () => {
    const sel = { isEmpty: false, start: p(0, 0), end: p(1, 5), extra: 'x', get active() { return p(1, 5); } };
    const ed: EditorLike = { document: editor(p(0, 0), p(0, 0)).document, selection: sel };
    assert.equal(JSON.stringify(buildRunArgs(ed).range), '{"start":{"line":0,"character":0},"end":{"line":1,"character":5}}');
  });
});
