import * as assert from 'node:assert/strict';
import type { HeaderInfo } from '../src/format';
import { RunLog, type Channel, type RunView } from '../src/output';
import type { Result } from '../src/protocol';

/** A channel that keeps its text; clear() empties it. */
class FakeChannel implements Channel {
  text = '';
  shown = 0;
  append(v: string): void {
    this.text += v;
  }
  appendLine(v: string): void {
    this.text += `${v}\n`;
  }
  clear(): void {
    this.text = '';
  }
  show(preserveFocus?: boolean): void {
    assert.equal(preserveFocus, true, 'the panel must not take the focus from the editor');
    this.shown++;
  }
}

const ok: Result = {
  language: 'python',
  version: '3.11.2',
  status: 'ok',
  exit_code: 0,
  signal: '',
  stdout: 'hi\n',
  stderr: 'warn',
  cpu_time_ms: 12,
  wall_time_ms: 30,
  memory_kib: 8294,
  compile: null,
};
const info: HeaderInfo = { language: 'Python', version: '3.11.2', executor: 'local', file: 'a.py' };
const A = 'file:///ws/a.py';

function setup(clear = false, flushDelayMs = 100) {
  const ch = new FakeChannel();
  const events: string[] = [];
  const log = new RunLog(ch, {
    describe: (uri) => ({ language: 'Python', executor: 'local', file: uri.slice(uri.lastIndexOf('/') + 1), trigger: 'run on save' }),
    clearFirst: () => clear,
    onStart: (v: RunView) => events.push(`start ${v.uri}`),
    onFinish: (v: RunView, r) => events.push(`finish ${v.runId ?? '?'} ${typeof r === 'object' ? r.status : r}`),
  }, flushDelayMs);
  return { ch, log, events };
}

describe('RunLog', () => {
  it('header, streamed output, footer; the reply does not print the output twice', () => {
    const { ch, log, events } = setup();
    const v = log.start(A, info);
    log.output({ runId: 7, uri: A, stream: 'stdout', data: 'hi\n' });
    log.output({ runId: 7, uri: A, stream: 'stderr', data: 'warn' });
    log.result({ runId: 7, uri: A, result: ok });
    log.reply(v, { runId: 7, result: ok });
    assert.equal(
      ch.text,
      '▶ Python 3.11.2 · local · a.py\nhi\nwarn\n[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\n\n',
    );
    assert.deepEqual(events, [`start ${A}`, 'finish 7 ok']);
    assert.equal(ch.shown, 1);
  });

  it('without streamed chunks the result supplies the output (and a failed compile)', () => {
    const { ch, log } = setup();
    const v = log.start(A, info);
    const r: Result = {
      ...ok,
      status: 'compile_error',
      exit_code: 1,
      stdout: '',
      stderr: '',
      message: 'compilation failed',
      compile: { ...ok, status: 'runtime_error', exit_code: 1, stdout: '', stderr: 'a.c:1: error\n' },
    };
    log.reply(v, { runId: 'r1', result: r });
    assert.equal(
      ch.text,
      '▶ Python 3.11.2 · local · a.py\na.c:1: error\n[compile_error] exit 1 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\ncompilation failed\n\n',
    );
  });

  it('a run the server started on save gets its own header; clearPreviousOutput clears', () => {
    const { ch, log, events } = setup(true);
    ch.text = 'old output\n';
    log.output({ runId: 'w1', uri: 'file:///ws/b.py', stream: 'stdout', data: 'x' });
    log.result({ runId: 'w1', uri: 'file:///ws/b.py', result: { ...ok, status: 'runtime_error', exit_code: 2 } });
    assert.equal(ch.text, '▶ Python · local · b.py · run on save\nx\n[runtime_error] exit 2 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\n\n');
    assert.deepEqual(events, ['start file:///ws/b.py', 'finish w1 runtime_error']);
  });

  it('a re-run: the stopped run ends once, late chunks of it are dropped', () => {
    const { ch, log, events } = setup();
    const first = log.start(A, info);
    log.output({ runId: 1, uri: A, stream: 'stdout', data: 'one\n' });
    const second = log.start(A, info);
    log.fail(first, 'stopped');
    log.fail(first, 'stopped');
    log.output({ runId: 1, uri: A, stream: 'stdout', data: 'late\n' });
    log.output({ runId: 2, uri: A, stream: 'stdout', data: 'two\n' });
    log.reply(second, { runId: 2, result: { ...ok, stdout: 'two\n', stderr: '' } });
    assert.equal(
      ch.text,
      [
        '▶ Python 3.11.2 · local · a.py',
        'one',
        '[stopped]',
        '',
        '▶ Python 3.11.2 · local · a.py',
        'two',
        '[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB',
        '',
        '',
      ].join('\n'),
    );
    assert.deepEqual(events, [`start ${A}`, `start ${A}`, 'finish 1 stopped', 'finish 2 ok']);
  });

  it('an error reply', () => {
    const { ch, log, events } = setup();
    const v = log.start('untitled:Untitled-1', { ...info, file: 'Untitled-1', language: 'plaintext', version: '' });
    log.fail(v, 'error', 'no language for "plaintext"; sandrun languages lists them');
    log.reply(v, { runId: 3, result: ok });
    assert.equal(ch.text, '▶ plaintext · local · Untitled-1\n[error] no language for "plaintext"; sandrun languages lists them\n\n');
    assert.deepEqual(events, ['start untitled:Untitled-1', 'finish ? error']);
  });

  it('sandrun/start names the language, version and executor; the selection stays in the header', () => {
    const { ch, log } = setup();
    const v = log.start(A, { ...info, language: 'python', version: undefined, range: { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } } });
    assert.equal(ch.text, '', 'the header waits for sandrun/start');
    log.started({ runId: 'r9', uri: A, language: 'python', languageName: 'Python', version: '3.11.2', executor: 'tcp://h:1', file: 'main.py', trigger: 'command', selection: true });
    log.output({ runId: 'r9', uri: A, stream: 'stdout', stage: 'run', data: 'x\n' });
    log.reply(v, { runId: 'r9', result: ok });
    assert.equal(ch.text, '▶ Python 3.11.2 · tcp://h:1 · a.py (lines 2–3)\nx\n[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\n\n');
  });

  it('a watch run announced while a command run waits is not taken for it', () => {
    const { ch, log, events } = setup();
    const v = log.start(A, info);
    log.started({ runId: 'r1', uri: A, languageName: 'Python', version: '3.11.2', executor: 'local', trigger: 'save' });
    log.result({ runId: 'r1', uri: A, result: null, error: 'stopped: a newer run of the document started', cancelled: true });
    log.started({ runId: 'r2', uri: A, languageName: 'Python', version: '3.11.2', executor: 'local', trigger: 'command' });
    log.result({ runId: 'r2', uri: A, result: { ...ok, stderr: '' } });
    assert.equal(v.runId, 'r2');
    assert.equal(
      ch.text,
      [
        '▶ Python 3.11.2 · local · a.py · run on save',
        '[stopped] a newer run of the document started',
        '',
        '▶ Python 3.11.2 · local · a.py',
        'hi',
        '[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB',
        '',
        '',
      ].join('\n'),
    );
    assert.deepEqual(events, [`start ${A}`, `start ${A}`, 'finish r1 stopped', 'finish r2 ok']);
  });

  it('a result without a result object and not cancelled is an error', () => {
    const { ch, log } = setup();
    log.result({ runId: 'r5', uri: A, result: null, error: 'executor tcp://h:1: connection refused' });
    assert.equal(ch.text, '▶ Python · local · a.py · run on save\n[error] executor tcp://h:1: connection refused\n\n');
  });

  it('a stderr line never lands inside a stdout line', () => {
    const { ch, log } = setup();
    const v = log.start(A, info);
    log.output({ runId: 1, uri: A, stream: 'stdout', data: 'hello from sandrun' });
    log.output({ runId: 1, uri: A, stream: 'stderr', data: 'to stderr\nand more' });
    log.output({ runId: 1, uri: A, stream: 'stdout', data: ' 45\nlast' });
    log.reply(v, { runId: 1, result: ok });
    assert.equal(
      ch.text,
      '▶ Python 3.11.2 · local · a.py\nto stderr\nhello from sandrun 45\nlast\nand more\n[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\n\n',
    );
  });

  it('an unfinished line (a prompt) shows after a quiet moment; the other stream then starts a new line', async () => {
    const { ch, log } = setup(false, 5);
    const v = log.start(A, info);
    log.output({ runId: 1, uri: A, stream: 'stdout', data: 'Name: ' });
    assert.doesNotMatch(ch.text, /Name/);
    await new Promise((r) => setTimeout(r, 40));
    assert.match(ch.text, /\nName: $/);
    log.output({ runId: 1, uri: A, stream: 'stderr', data: 'EOFError\n' });
    log.reply(v, { runId: 1, result: { ...ok, status: 'runtime_error', exit_code: 1 } });
    assert.equal(ch.text, '▶ Python 3.11.2 · local · a.py\nName: \nEOFError\n[runtime_error] exit 1 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\n\n');
  });

  it('a reply without a result is an error, not a crash', () => {
    const { ch, log } = setup();
    const v = log.start(A, info);
    log.reply(v, { runId: 4 } as never);
    assert.match(ch.text, /\[error\] the server answered without a result\n/);
  });
});
