import * as assert from 'node:assert/strict';
import type { Result } from '../src/protocol';
import { StatusBar } from '../src/status';
import { statusBarItems } from './vscode-stub';

const r = (over: Partial<Result>): Result => ({
  language: 'python',
  version: '3.11.2',
  status: 'ok',
  exit_code: 0,
  stdout: '',
  stderr: '',
  cpu_time_ms: 5,
  wall_time_ms: 30,
  memory_kib: 2048,
  ...over,
});

describe('StatusBar', () => {
  it('idle, running, last status, watch', () => {
    const bar = new StatusBar();
    const item = statusBarItems[statusBarItems.length - 1];
    const seen = () => ({ text: item.text, command: item.command, error: item.backgroundColor !== undefined });
    assert.equal(item.visible, true);
    assert.deepEqual(seen(), { text: '$(play) Sandrun', command: 'sandrun.runSnippet', error: false });
    bar.started();
    bar.started();
    assert.deepEqual(seen(), { text: '$(sync~spin) Sandrun: running', command: 'sandrun.stopRun', error: false });
    bar.finished(r({}));
    assert.equal(bar.busy, true, 'one run is still going');
    bar.finished(r({ status: 'runtime_error', exit_code: 2 }));
    assert.equal(bar.busy, false);
    assert.deepEqual(seen(), { text: '$(error) runtime_error (exit 2)', command: 'sandrun.showOutput', error: true });
    assert.match(String(item.tooltip), /\[runtime_error\] exit 2 · cpu 5 ms/);
    bar.setWatching(true);
    bar.finished(r({}));
    assert.deepEqual(seen(), { text: '$(eye) watch · $(check) ok · 30 ms', command: 'sandrun.showOutput', error: false });
    bar.finished('stopped');
    assert.deepEqual(seen(), { text: '$(eye) watch · $(debug-stop) Sandrun: stopped', command: 'sandrun.showOutput', error: false });
    bar.dispose();
  });
});
