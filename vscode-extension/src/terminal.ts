// The "Sandrun" terminal: a vscode.Pseudoterminal that shows interactive runs (Sandrun: Run in
// Terminal). One terminal is reused for every such run; at most one runs in it at a time. It
// claims the server's notifications of its run by runId, so they do not reach the output panel.
import * as vscode from 'vscode';
import { stopReason } from './format';
import type { OutputParams, ResultParams, StartParams } from './protocol';
import { TerminalRun, type TerminalHost } from './terminalRun';

/** The terminal's name, as the terminal panel lists it. */
export const terminalName = 'Sandrun';

/** How many finished runs' ids are remembered, so their late notifications are dropped. */
const maxFinished = 50;

/** A pseudoterminal whose writes wait for VS Code to open it. */
class Pty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private pending: string[] | undefined = [];
  /** Receives what the user types. */
  onInput: (data: string) => void = () => undefined;

  constructor(private readonly onClose: () => void) {}

  open(): void {
    const p = this.pending ?? [];
    this.pending = undefined;
    for (const s of p) {
      this.writeEmitter.fire(s);
    }
  }

  close(): void {
    this.onClose();
  }

  handleInput(data: string): void {
    this.onInput(data);
  }

  write(s: string): void {
    if (this.pending) {
      this.pending.push(s);
    } else {
      this.writeEmitter.fire(s);
    }
  }

  dispose(): void {
    this.writeEmitter.dispose();
  }
}

/** What a run in the terminal does with the user's input and keys. */
export interface RunHooks {
  send(run: TerminalRun, data: string, eof: boolean): void;
  interrupt(run: TerminalRun): void;
}

export class SandrunTerminal implements vscode.Disposable {
  private terminal: vscode.Terminal | undefined;
  private pty: Pty | undefined;
  private current: TerminalRun | undefined;
  private readonly finishedIds: string[] = [];

  /** Starts showing a new run of `uri`: the terminal is created or reused, shown and focused. */
  begin(uri: string, headerText: string, clear: boolean, hooks: RunHooks): TerminalRun {
    const pty = this.ensure();
    if (clear) {
      pty.write('\x1b[2J\x1b[3J\x1b[H');
    }
    const host: TerminalHost = {
      write: (s) => pty.write(s),
      send: (data, eof) => hooks.send(run, data, eof),
      interrupt: () => hooks.interrupt(run),
    };
    const run = new TerminalRun(uri, host);
    this.current = run;
    pty.onInput = (data) => run.input(data);
    run.header(headerText);
    this.terminal?.show(false); // the keyboard goes to the terminal
    return run;
  }

  /** The run in the terminal that has not ended, if any. */
  get running(): TerminalRun | undefined {
    return this.current && !this.current.finished ? this.current : undefined;
  }

  /** Remembers that run ended, so that its late notifications are not shown elsewhere. */
  ended(run: TerminalRun): void {
    if (run.runId !== undefined) {
      this.finishedIds.push(run.runId);
      this.finishedIds.splice(0, Math.max(0, this.finishedIds.length - maxFinished));
    }
  }

  /** sandrun/start: true when it announces the terminal's run (interactive, of its document). */
  started(p: StartParams): boolean {
    const run = this.current;
    const id = String(p.runId);
    if (run && run.runId === undefined && !run.finished && p.uri === run.uri && p.interactive === true) {
      run.runId = id;
      return true;
    }
    return this.owns(id);
  }

  /** sandrun/output: true when it belongs to the terminal's run (shown there). */
  output(p: OutputParams): boolean {
    const run = this.byId(String(p.runId));
    if (run) {
      run.output(p.stream, p.data);
    }
    return run !== undefined || this.owns(String(p.runId));
  }

  /** sandrun/result: true when it belongs to the terminal's run (which it ends). */
  result(p: ResultParams): boolean {
    const run = this.byId(String(p.runId));
    if (run) {
      if (p.result) {
        run.finish(p.result);
      } else {
        run.fail(p.cancelled ? 'stopped' : 'error', p.cancelled ? stopReason(p.error) : p.error);
      }
      this.ended(run);
    }
    return run !== undefined || this.owns(String(p.runId));
  }

  private byId(id: string): TerminalRun | undefined {
    return this.current && this.current.runId === id ? this.current : undefined;
  }

  private owns(id: string): boolean {
    return this.current?.runId === id || this.finishedIds.includes(id);
  }

  private ensure(): Pty {
    if (this.pty && this.terminal) {
      return this.pty;
    }
    const pty = new Pty(() => this.closed(pty));
    this.pty = pty;
    this.terminal = vscode.window.createTerminal({ name: terminalName, pty });
    return pty;
  }

  /** The user closed the terminal: its run stops, and the next run opens a new terminal. */
  private closed(pty: Pty): void {
    if (this.pty !== pty) {
      return;
    }
    const run = this.running;
    this.pty = undefined;
    this.terminal = undefined;
    pty.dispose();
    if (run) {
      run.input('\x03');
    }
  }

  dispose(): void {
    this.terminal?.dispose();
    this.terminal = undefined;
    this.pty = undefined;
  }
}
