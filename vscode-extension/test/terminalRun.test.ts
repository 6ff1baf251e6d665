import * as assert from 'node:assert/strict';
import type { Result } from '../src/protocol';
import { cellWidth, crlf, TerminalRun } from '../src/terminalRun';

/** A TerminalRun whose writes, sends and interrupts are recorded. */
function setup(ready = true) {
  const rec = { out: '', sent: [] as Array<[string, boolean]>, interrupts: 0 };
  const run = new TerminalRun('file:///ws/ask.py', {
    write: (s) => (rec.out += s),
    send: (data, eof) => rec.sent.push([data, eof]),
    interrupt: () => rec.interrupts++,
  });
  if (ready) {
    run.ready();
  }
  return { run, rec };
}

const ok: Result = {
  language: 'python',
  version: '3.11.2',
  status: 'ok',
  exit_code: 0,
  signal: '',
  stdout: '',
  stderr: '',
  cpu_time_ms: 12,
  wall_time_ms: 30,
  memory_kib: 8294,
  compile: null,
};

describe('TerminalRun', () => {
  it('echoes what is typed and sends each line on Enter', () => {
    const { run, rec } = setup();
    run.input('A');
    run.input('da');
    assert.deepEqual(rec.sent, [], 'nothing goes before Enter');
    run.input('\r');
    assert.equal(rec.out, 'Ada\r\n');
    assert.deepEqual(rec.sent, [['Ada\n', false]]);
    run.input('\r');
    assert.deepEqual(rec.sent, [['Ada\n', false], ['\n', false]], 'an empty line is a line too');
  });

  it('backspace and Ctrl-U edit the line on screen and in what is sent', () => {
    const { run, rec } = setup();
    run.input('Adx\x7f');
    assert.equal(rec.out, 'Adx\b \b');
    run.input('a\r');
    assert.deepEqual(rec.sent, [['Ada\n', false]]);
    rec.out = '';
    run.input('\x7f\b');
    assert.equal(rec.out, '', 'backspace on an empty line does nothing');
    run.input('日本\x7f');
    assert.equal(rec.out, '日本\b\b  \b\b', 'a wide character takes two columns');
    rec.out = '';
    run.input('x\x15\r');
    assert.equal(rec.out, 'x\b\b\b   \b\b\b\r\n');
    assert.deepEqual(rec.sent[1], ['\n', false]);
  });

  it('Ctrl-D sends what is typed and ends the input; later typing is not sent', () => {
    const { run, rec } = setup();
    run.input('last\x04');
    assert.deepEqual(rec.sent, [['last', true]]);
    run.input('more\r\x04');
    assert.deepEqual(rec.sent, [['last', true]]);
    assert.match(rec.out, /input ended with Ctrl-D/);
    assert.equal(rec.out.match(/input ended/g)?.length, 1, 'said once');
  });

  it('Ctrl-C stops the run', () => {
    const { run, rec } = setup();
    run.input('ab\x03');
    assert.equal(rec.interrupts, 1);
    assert.equal(rec.out, 'ab^C\r\n');
    assert.deepEqual(rec.sent, []);
  });

  it('pasted lines go one by one (\\r, \\r\\n and \\n ends); escape sequences are skipped', () => {
    const { run, rec } = setup();
    run.input('one\r\ntwo\nthree\rfo');
    assert.deepEqual(rec.sent, [['one\n', false], ['two\n', false], ['three\n', false]]);
    rec.out = '';
    run.input('\x1b[A\x1b[1;5C\x1bOPo\x1b[200~\r');
    assert.equal(rec.out, 'o\r\n');
    assert.deepEqual(rec.sent[3], ['foo\n', false]);
  });

  it('input typed before the run request went out is sent after it, in order', () => {
    const { run, rec } = setup(false);
    run.input('early\rx\x04');
    assert.deepEqual(rec.sent, []);
    run.ready();
    assert.deepEqual(rec.sent, [['early\n', false], ['x', true]]);
  });

  it('output gets \\r\\n line ends, stderr in red, and a half-typed line is put back after it', () => {
    const { run, rec } = setup();
    run.output('stdout', 'a\nb\r\nName? ');
    run.output('stderr', 'oops\n');
    assert.equal(rec.out, 'a\r\nb\r\nName? \x1b[31moops\r\n\x1b[0m');
    rec.out = '';
    run.input('Ad');
    run.output('stdout', 'tick\n');
    assert.equal(rec.out, 'Ad\x1b[2D\x1b[Ktick\r\nAd');
    run.input('a\r');
    assert.deepEqual(rec.sent, [['Ada\n', false]]);
  });

  it('the footer comes on a line of its own, green when ok, red with notes otherwise; then input is ignored', () => {
    const { run, rec } = setup();
    run.output('stdout', 'Name? ');
    run.finish(ok);
    assert.equal(rec.out, 'Name? \r\n\x1b[32m[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB\x1b[0m\r\n');
    assert.equal(run.finished, true);
    rec.out = '';
    run.input('late\r\x03');
    run.output('stdout', 'late');
    run.finish(ok);
    assert.equal(rec.out, '');
    assert.deepEqual(rec.sent, []);
    assert.equal(rec.interrupts, 0);

    const bad = setup();
    bad.run.finish({ ...ok, status: 'time_limit', exit_code: -1, signal: 'SIGKILL', message: 'CPU time limit of 1s passed\nkilled' });
    assert.equal(bad.rec.out, '\x1b[31m[time_limit] SIGKILL · cpu 12 ms · wall 30 ms · mem 8.1 MiB\x1b[0m\r\nCPU time limit of 1s passed\r\nkilled\r\n');
  });

  it('a run without a result ends with [stopped] or [error]', () => {
    const a = setup();
    a.run.input('half');
    a.run.fail('stopped');
    assert.equal(a.rec.out, 'half\r\n\x1b[33m[stopped]\x1b[0m\r\n');
    const b = setup();
    b.run.fail('error', 'cannot tell which language');
    assert.equal(b.rec.out, '\x1b[31m[error] cannot tell which language\x1b[0m\r\n');
    b.run.fail('stopped');
    assert.equal(b.rec.out, '\x1b[31m[error] cannot tell which language\x1b[0m\r\n', 'ends once');
  });

  it('an input that did not reach the program is said on its own line', () => {
    const { run, rec } = setup();
    run.output('stdout', 'Name? ');
    run.inputFailed('no run r9 is in flight');
    assert.equal(rec.out, 'Name? \r\n\x1b[31m[input not delivered] no run r9 is in flight\x1b[0m\r\n');
  });

  it('header, crlf and cellWidth', () => {
    const { run, rec } = setup();
    run.header('▶ Python 3.11.2 · local · ask.py');
    assert.equal(rec.out, '\x1b[2m▶ Python 3.11.2 · local · ask.py\x1b[0m\r\n');
    assert.equal(crlf('a\nb\r\nc'), 'a\r\nb\r\nc');
    assert.equal(cellWidth('aé日🙂'), 1 + 1 + 2 + 2);
  });
});
