import * as assert from 'node:assert/strict';
import { startFailure } from '../src/errors';
import { expandHome, readSettings, resolveBinary, serverSettings } from '../src/settings';
import { setConfig } from './vscode-stub';

describe('settings', () => {
  afterEach(() => setConfig({}));

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

  it('resolveBinary', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['sandrun', '/ws', 'sandrun'],
      ['~/bin/sandrun', '/ws', '/home/u/bin/sandrun'],
      ['/usr/local/bin/sandrun', '/ws', '/usr/local/bin/sandrun'],
      ['bin/sandrun', '/ws', '/ws/bin/sandrun'],
      ['./bin/sandrun', '/ws', '/ws/bin/sandrun'],
      ['bin/sandrun', undefined, 'bin/sandrun'],
    ];
    for (const [p, folder, want] of cases) {
      assert.equal(resolveBinary(p, folder, '/home/u'), want, `${p} in ${folder}`);
    }
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
