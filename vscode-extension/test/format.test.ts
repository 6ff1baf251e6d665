import * as assert from 'node:assert/strict';
import { describeRange, findLanguage, footer, formatKiB, formatMs, header, notes, statusText, stopReason } from '../src/format';
import type { LanguageInfo, Result } from '../src/protocol';

function result(over: Partial<Result>): Result {
  return {
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
    message: '',
    compile: null,
    ...over,
  };
}

describe('format', () => {
  it('stopReason says nothing for a stop the user asked for, else the server\'s reason', () => {
    assert.equal(stopReason('cancelled by the client ($/cancelRequest)'), undefined);
    assert.equal(stopReason('stopped by sandrun.stop'), undefined);
    assert.equal(stopReason('cancelled by the user (window/workDoneProgress/cancel)'), undefined);
    assert.equal(stopReason(undefined), undefined);
    assert.equal(stopReason('stopped: a newer run of the same document started'), 'a newer run of the same document started');
  });

  it('footer', () => {
    const cases: Array<[string, Partial<Result>, string]> = [
      ['ok', {}, '[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB'],
      ['runtime error', { status: 'runtime_error', exit_code: 3 }, '[runtime_error] exit 3 · cpu 12 ms · wall 30 ms · mem 8.1 MiB'],
      [
        'signal replaces the exit code',
        { status: 'signaled', exit_code: 139, signal: 'SIGSEGV', memory_kib: 900 },
        '[signaled] SIGSEGV · cpu 12 ms · wall 30 ms · mem 900 KiB',
      ],
      [
        'seconds and GiB',
        { status: 'time_limit', exit_code: 137, signal: 'SIGKILL', cpu_time_ms: 2004, wall_time_ms: 12500, memory_kib: 3 * 1024 * 1024 / 2 },
        '[time_limit] SIGKILL · cpu 2.00 s · wall 12.5 s · mem 1.5 GiB',
      ],
    ];
    for (const [name, over, want] of cases) {
      assert.equal(footer(result(over)), want, name);
    }
  });

  it('formatMs and formatKiB', () => {
    const ms: Array<[number, string]> = [[0, '0 ms'], [999, '999 ms'], [1000, '1.00 s'], [61000, '61.0 s'], [250000, '250 s'], [-1, '? ms']];
    for (const [in_, want] of ms) {
      assert.equal(formatMs(in_), want, `formatMs(${in_})`);
    }
    const kib: Array<[number, string]> = [[0, '0 KiB'], [1023, '1023 KiB'], [1024, '1.0 MiB'], [8294, '8.1 MiB'], [1048576, '1.0 GiB'], [NaN, '? KiB']];
    for (const [in_, want] of kib) {
      assert.equal(formatKiB(in_), want, `formatKiB(${in_})`);
    }
  });

  it('notes explain what is not ok', () => {
    assert.deepEqual(notes(result({})), []);
    assert.deepEqual(notes(result({ message: 'ignored when ok' })), []);
    assert.deepEqual(
      notes(result({ status: 'output_limit', message: 'the program wrote more than 1 MiB', stdout_truncated: true })),
      ['the program wrote more than 1 MiB', 'stdout was cut at the output limit.'],
    );
  });

  it('header', () => {
    const cases: Array<[string, Parameters<typeof header>[0], string]> = [
      ['whole file', { language: 'Python', version: '3.11.2', executor: 'local', file: 'hello.py' }, '▶ Python 3.11.2 · local · hello.py'],
      [
        'selection, stdin, remote',
        {
          language: 'python',
          executor: 'tcp://10.0.0.2:7070',
          file: 'a.py',
          range: { start: { line: 2, character: 0 }, end: { line: 5, character: 0 } },
          stdinFrom: 'a.py.stdin',
        },
        '▶ python · tcp://10.0.0.2:7070 · a.py (lines 3–5) · stdin: a.py.stdin',
      ],
      ['watch', { language: 'Go', version: '1.26', executor: 'local', file: 'm.go', trigger: 'run on save' }, '▶ Go 1.26 · local · m.go · run on save'],
    ];
    for (const [name, in_, want] of cases) {
      assert.equal(header(in_), want, name);
    }
  });

  it('describeRange', () => {
    const r = (a: number, b: number, c: number, d: number) => ({ start: { line: a, character: b }, end: { line: c, character: d } });
    assert.equal(describeRange(r(3, 4, 3, 9)), 'line 4');
    assert.equal(describeRange(r(3, 0, 4, 0)), 'line 4');
    assert.equal(describeRange(r(3, 0, 4, 1)), 'lines 4–5');
  });

  it('findLanguage prefers the VS Code id, then the id, then an alias', () => {
    const langs: LanguageInfo[] = [
      { id: 'cpp', name: 'C++', version: '12', vscode_id: 'cpp', aliases: ['c++'], available: true },
      { id: 'bash', name: 'Bash', version: '5.2', vscode_id: 'shellscript', aliases: ['sh'], available: true },
      { id: 'python', name: 'Python', version: '3.11.2', available: true },
    ];
    assert.equal(findLanguage(langs, 'shellscript')?.id, 'bash');
    assert.equal(findLanguage(langs, 'python')?.id, 'python');
    assert.equal(findLanguage(langs, 'sh')?.id, 'bash');
    assert.equal(findLanguage(langs, 'plaintext'), undefined);
  });

  it('statusText', () => {
    assert.equal(statusText(result({})), 'ok · 30 ms');
    assert.equal(statusText(result({ status: 'runtime_error', exit_code: 1 })), 'runtime_error (exit 1)');
    assert.equal(statusText(result({ status: 'signaled', signal: 'SIGABRT' })), 'signaled (SIGABRT)');
    assert.equal(statusText(result({ status: 'compile_error', exit_code: 1 })), 'compile_error');
  });
});
