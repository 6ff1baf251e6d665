import * as assert from 'node:assert/strict';
import type { WatchArgs } from '../src/protocol';
import { Watches } from '../src/watches';
import { Uri, setConfig, setDocuments } from './vscode-stub';

const doc = (path: string, languageId: string) => ({ uri: Uri.file(path), languageId });

function setup(fail = false) {
  const sent: WatchArgs[] = [];
  const errors: string[] = [];
  const w = new Watches(
    {
      watch: async (a) => {
        if (fail) {
          throw new Error('server down');
        }
        sent.push(a);
      },
    },
    async (u) => (u.path.endsWith('.py') ? { text: '5\n', from: 'x' } : undefined),
    (m) => errors.push(m),
  );
  return { w, sent, errors };
}

describe('Watches', () => {
  afterEach(() => {
    setConfig({});
    setDocuments([]);
  });

  it('the setting picks documents; each change is sent once', async () => {
    const py = doc('/ws/a.py', 'python');
    const go = doc('/ws/cmd/m.go', 'go');
    const untitled = { uri: Uri.parse('untitled:Untitled-1'), languageId: 'python' };
    setDocuments([py, go, untitled]);
    setConfig({ runOnSave: ['python', 'cmd/*.go'] });
    const { w, sent } = setup();
    await w.applyAll();
    await w.applyAll();
    assert.deepEqual(sent, [
      { uri: 'file:///ws/a.py', enabled: true, languageId: 'python', stdin: '5\n' },
      { uri: 'file:///ws/cmd/m.go', enabled: true, languageId: 'go' },
    ]);
    setConfig({ runOnSave: ['go'] });
    await w.applyAll();
    assert.deepEqual(sent.slice(2), [{ uri: 'file:///ws/a.py', enabled: false, languageId: 'python' }]);
    assert.equal(w.isOn('file:///ws/cmd/m.go'), true);
    assert.equal(w.isOn('file:///ws/a.py'), false);
  });

  it('a toggle wins over the setting, and survives a server restart', async () => {
    const py = doc('/ws/a.py', 'python');
    setDocuments([py]);
    setConfig({ runOnSave: ['python'] });
    const { w, sent } = setup();
    await w.applyAll();
    assert.equal(await w.toggle(py as never), false);
    await w.resync();
    assert.equal(w.isOn('file:///ws/a.py'), false);
    assert.equal(await w.toggle(py as never), true);
    await w.resync();
    assert.deepEqual(
      sent.map((a) => a.enabled),
      [true, false, true, true],
    );
  });

  it('a server error is reported and the state stays as it was', async () => {
    const py = doc('/ws/a.py', 'python');
    setDocuments([py]);
    setConfig({ runOnSave: ['python'] });
    const { w, errors } = setup(true);
    await w.applyAll();
    assert.deepEqual(errors, ['run on save for a.py: server down']);
    assert.equal(w.isOn('file:///ws/a.py'), false);
    await assert.rejects(w.toggle(py as never), /server down/);
    assert.equal(w.isOn('file:///ws/a.py'), false);
  });
});
