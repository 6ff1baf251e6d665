import * as assert from 'node:assert/strict';
import type { Result } from '../src/protocol';
import { SandrunTerminal, terminalName } from '../src/terminal';
import type { TerminalRun } from '../src/terminalRun';
import { terminals } from './vscode-stub';

const A = 'file:///ws/ask.py';
const ok: Result = {
  language: 'python',
  version: '3.11.2',
  status: 'ok',
  exit_code: 0,
  stdout: '',
  stderr: '',
  cpu_time_ms: 5,
  wall_time_ms: 9,
  memory_kib: 2048,
};

/** A SandrunTerminal with recorded hooks, and the text its newest terminal showed. */
function setup() {
  const term = new SandrunTerminal();
  const sent: Array<[string | undefined, string, boolean]> = [];
  const interrupted: TerminalRun[] = [];
  const hooks = {
    send: (r: TerminalRun, data: string, eof: boolean) => sent.push([r.runId, data, eof]),
    interrupt: (r: TerminalRun) => interrupted.push(r),
  };
  const first = terminals.length;
  /** Opens the newest terminal's pty (as VS Code does) and returns what it writes. */
  const open = () => {
    const t = terminals[terminals.length - 1];
    const out = { text: '' };
    t.options.pty.onDidWrite((s: string) => (out.text += s));
    t.options.pty.open(undefined);
    return { t, out };
  };
  return { term, hooks, sent, interrupted, open, created: () => terminals.length - first };
}

describe('SandrunTerminal', () => {
  it('opens one "Sandrun" terminal, focused, that shows what was written before it opened', () => {
    const { term, hooks, open, created } = setup();
    term.begin(A, '▶ Python · local · ask.py', false, hooks);
    assert.equal(created(), 1);
    const { t, out } = open();
    assert.equal(t.options.name, terminalName);
    assert.deepEqual(t.shown, [false], 'shown with the focus, so the keyboard goes to it');
    assert.equal(out.text, '\x1b[2m▶ Python · local · ask.py\x1b[0m\r\n');
  });

  it('claims its run by sandrun/start, shows its output and result; other runs are not its own', () => {
    const { term, hooks, sent, open } = setup();
    const run = term.begin(A, 'h', false, hooks);
    const { out } = open();
    out.text = '';
    assert.equal(term.started({ runId: 'r1', uri: A, trigger: 'save' }), false, 'a run without "interactive" is the panel\'s');
    assert.equal(term.started({ runId: 'r2', uri: 'file:///ws/other.py', interactive: true }), false);
    assert.equal(term.started({ runId: 'r3', uri: A, interactive: true, trigger: 'command' }), true);
    assert.equal(run.runId, 'r3');
    assert.equal(term.output({ runId: 'r1', uri: A, stream: 'stdout', data: 'not mine\n' }), false);
    assert.equal(term.output({ runId: 'r3', uri: A, stream: 'stdout', data: 'Name? ' }), true);

    const pty = terminals[terminals.length - 1].options.pty;
    run.ready();
    pty.handleInput('Ada\r');
    assert.deepEqual(sent, [['r3', 'Ada\n', false]]);

    assert.equal(term.result({ runId: 'r3', uri: A, result: ok }), true);
    assert.equal(run.finished, true);
    assert.equal(term.running, undefined);
    assert.equal(out.text, 'Name? Ada\r\n\x1b[32m[ok] exit 0 · cpu 5 ms · wall 9 ms · mem 2.0 MiB\x1b[0m\r\n');
    // A late chunk of the finished run is still its own (dropped), not a new run in the panel.
    assert.equal(term.output({ runId: 'r3', uri: A, stream: 'stdout', data: 'late' }), true);
    assert.equal(term.result({ runId: 'r1', uri: A, result: ok }), false);
  });

  it('a stopped run ends with [stopped]; the next run reuses the terminal and may clear it', () => {
    const { term, hooks, open, created } = setup();
    const run = term.begin(A, 'h1', false, hooks);
    const { t, out } = open();
    term.started({ runId: 'r7', uri: A, interactive: true });
    term.result({ runId: 'r7', uri: A, result: null, error: 'cancelled by the client ($/cancelRequest)', cancelled: true });
    // The user stopped it: the protocol's words ($/cancelRequest) are not shown.
    assert.match(out.text, /\[stopped\]\x1b\[0m\r\n$/);
    assert.equal(run.finished, true);
    out.text = '';
    const next = term.begin(A, 'h2', true, hooks);
    assert.equal(created(), 1, 'the terminal is reused');
    assert.deepEqual(t.shown, [false, false]);
    assert.equal(out.text, '\x1b[2J\x1b[3J\x1b[H\x1b[2mh2\x1b[0m\r\n');
    assert.equal(term.running, next);
  });

  it('closing the terminal stops its run, and the next run opens a new one', () => {
    const { term, hooks, interrupted, open, created } = setup();
    const run = term.begin(A, 'h', false, hooks);
    const { t } = open();
    t.options.pty.close();
    assert.deepEqual(interrupted, [run]);
    term.begin(A, 'h', false, hooks);
    assert.equal(created(), 2);
    term.dispose();
    assert.equal(terminals[terminals.length - 1].disposed, true);
  });
});
