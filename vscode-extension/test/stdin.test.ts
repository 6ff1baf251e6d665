import * as assert from 'node:assert/strict';
import { inputBoxToStdin, maxStdinBytes, resolveStdin, stdinCandidates, stdinToInputBox, type UriLike } from '../src/stdin';
import { Uri } from './vscode-stub';

const enc = (s: string) => new TextEncoder().encode(s);

/** A reader over an in-memory folder; it records what was asked for. */
function fakeFs(files: Record<string, Uint8Array>) {
  const asked: string[] = [];
  return {
    asked,
    read: async (u: UriLike) => {
      asked.push(u.path);
      return files[u.path];
    },
  };
}

describe('stdin', () => {
  it('candidates', () => {
    const paths = (u: UriLike) => stdinCandidates(u).map((c) => c.path);
    assert.deepEqual(paths(Uri.file('/ws/hello.py')), ['/ws/hello.py.stdin', '/ws/hello.stdin']);
    assert.deepEqual(paths(Uri.file('/ws/Makefile')), ['/ws/Makefile.stdin']);
    assert.deepEqual(paths(Uri.file('/ws/.bashrc')), ['/ws/.bashrc.stdin']);
    assert.deepEqual(paths(Uri.parse('untitled:Untitled-1')), []);
  });

  it('resolution order: input box, <file>.stdin, <stem>.stdin, setting, none', async () => {
    const uri = Uri.file('/ws/hello.py');
    const both = { '/ws/hello.py.stdin': enc('from file\n'), '/ws/hello.stdin': enc('from stem\n') };
    const cases: Array<[string, { explicit?: string; files: Record<string, Uint8Array>; setting: string }, { text: string; from: string } | undefined]> = [
      ['input box wins', { explicit: '1 2\n', files: both, setting: 's' }, { text: '1 2\n', from: 'input box' }],
      ['empty input box still wins', { explicit: '', files: both, setting: 's' }, { text: '', from: 'input box' }],
      ['file.ext.stdin before stem.stdin', { files: both, setting: 's' }, { text: 'from file\n', from: 'hello.py.stdin' }],
      ['stem.stdin', { files: { '/ws/hello.stdin': enc('stem') }, setting: 's' }, { text: 'stem', from: 'hello.stdin' }],
      ['empty stdin file counts', { files: { '/ws/hello.py.stdin': enc('') }, setting: 's' }, { text: '', from: 'hello.py.stdin' }],
      ['setting', { files: {}, setting: 'setting\n' }, { text: 'setting\n', from: 'sandrun.stdin setting' }],
      ['none', { files: {}, setting: '' }, undefined],
    ];
    for (const [name, c, want] of cases) {
      const fs = fakeFs(c.files);
      const got = await resolveStdin({ explicit: c.explicit, uri, setting: c.setting, read: fs.read });
      assert.deepEqual(got, want, name);
      if (c.explicit !== undefined) {
        assert.deepEqual(fs.asked, [], `${name}: read files although the input box was given`);
      }
    }
  });

  it('refuses a huge .stdin file with its name', async () => {
    const fs = fakeFs({ '/ws/big.py.stdin': new Uint8Array(maxStdinBytes + 1) });
    await assert.rejects(resolveStdin({ uri: Uri.file('/ws/big.py'), setting: '', read: fs.read }), /big\.py\.stdin is 17 MiB/);
  });

  it('input box escapes', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['3 4', '3 4\n'],
      ['1\\n2', '1\n2\n'],
      ['a\\tb\\\\n', 'a\tb\\n\n'],
      ['ends\\n', 'ends\n'],
    ];
    for (const [typed, want] of cases) {
      assert.equal(inputBoxToStdin(typed), want, JSON.stringify(typed));
      assert.equal(inputBoxToStdin(stdinToInputBox(want)), want, `round trip of ${JSON.stringify(want)}`);
    }
  });
});
