import * as assert from 'node:assert/strict';
import { runFailure, startFailure } from '../src/errors';
import { expandHome, readSettings, resolveBinary, serverSettings, workspaceOverrides } from '../src/settings';
import { setConfig } from './vscode-stub';

describe('settings', () => {
  afterEach(() => setConfig({}));

  it('runFailure says how to choose a language in VS Code, and passes other errors on', () => {
    const server = new Error('cannot tell which language file:///w/notes.txt is in (languageId "plaintext", extension ".txt", no known shebang line): pass "languageId" (…)');
    const text = runFailure(server, { languageId: 'plaintext', fileName: '/w/notes.txt' });
    assert.match(text, /^cannot tell which language notes\.txt is in \(its language mode is "plaintext"\): choose one with Change Language Mode/);
    assert.doesNotMatch(text, /languageId/);
    assert.equal(runFailure(new Error('range 5:0-3:0 ends before it starts'), { languageId: 'python', fileName: '/w/a.py' }), 'range 5:0-3:0 ends before it starts');
  });

  it('defaults', () => {
    setConfig({});
    assert.deepEqual(readSettings(), {
      path: 'sandrun',
      executor: 'local',
      tokenFile: '',
      tlsCA: '',
      timeLimit: '',
      memoryLimit: '',
      clearPreviousOutput: true,
      runOnSave: [],
      stdin: '',
      runtime: {},
    });
  });

  it('values, trimmed, wrong types dropped; the server gets all but path and clearPreviousOutput', () => {
    setConfig({
      path: ' /opt/sandrun ',
      executor: 'tcp://127.0.0.1:7070',
      tokenFile: '~/.sandrun/token',
      tlsCA: '/etc/sandrun/ca.pem',
      timeLimit: '2s',
      memoryLimit: 42,
      clearPreviousOutput: false,
      runOnSave: ['python', 3, '**/*.c'],
      stdin: ' 1 2\n',
      runtime: { javascript: ' bun ', c: 3 },
    });
    const s = readSettings();
    assert.equal(s.path, '/opt/sandrun');
    assert.equal(s.clearPreviousOutput, false);
    assert.deepEqual(serverSettings(s), {
      executor: 'tcp://127.0.0.1:7070',
      tokenFile: expandHome('~/.sandrun/token'),
      tlsCA: '/etc/sandrun/ca.pem',
      timeLimit: '2s',
      memoryLimit: '',
      runOnSave: ['python', '**/*.c'],
      stdin: ' 1 2\n',
      runtime: { javascript: 'bun' },
    });
  });

  it('resolveBinary: never from the workspace folder', () => {
    const cases: Array<[string, string | undefined]> = [
      ['sandrun', 'sandrun'],
      ['~/bin/sandrun', '/home/u/bin/sandrun'],
      ['/usr/local/bin/sandrun', '/usr/local/bin/sandrun'],
      ['bin/sandrun', undefined],
      ['./bin/sandrun', undefined],
      ['../evil/sandrun', undefined],
    ];
    for (const [p, want] of cases) {
      assert.equal(resolveBinary(p, '/home/u'), want, p);
    }
  });

  it('a workspace cannot choose the binary, the executor or the token file', () => {
    // A repository's .vscode/settings.json, as an attacker would write it.
    setConfig(
      { executor: 'tcp://127.0.0.1:7070', tokenFile: '/home/u/.sandrun/token' },
      { path: './evil/sandrun', executor: 'tcp://attacker.example:7070', tokenFile: '~/.ssh/id_ed25519', tlsCA: '/tmp/ca.pem', timeLimit: '3s' },
    );
    const s = readSettings();
    assert.equal(s.path, 'sandrun');
    assert.equal(s.executor, 'tcp://127.0.0.1:7070');
    assert.equal(s.tokenFile, '/home/u/.sandrun/token');
    assert.equal(s.tlsCA, '');
    assert.equal(s.timeLimit, '3s', 'ordinary settings still come from the workspace');
    assert.deepEqual(workspaceOverrides(), ['sandrun.path', 'sandrun.executor', 'sandrun.tokenFile', 'sandrun.tlsCA']);
  });
});

describe('startFailure', () => {
  it('says what is wrong with sandrun.path', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['sandrun', 'Launching server using command sandrun failed. Error: spawn sandrun ENOENT', /^could not start "sandrun lsp": there is no sandrun on PATH; install sandrun/],
      ['/opt/x/sandrun', 'spawn /opt/x/sandrun ENOENT', /^could not start "\/opt\/x\/sandrun lsp": \/opt\/x\/sandrun does not exist; /],
      ['/opt/x/sandrun', 'spawn /opt/x/sandrun EACCES', /is not executable \(chmod \+x it/],
      ['sandrun', 'the server exited with code 2', /\(the server exited with code 2\); install sandrun/],
    ];
    for (const [cmd, why, want] of cases) {
      assert.match(startFailure(cmd, why), want);
    }
  });
});
