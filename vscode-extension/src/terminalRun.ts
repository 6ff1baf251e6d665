// One interactive run as the "Sandrun" terminal shows it, without vscode (unit-tested as is): the
// program's output as it streams (\n becomes \r\n, stderr in red), what the user types echoed with
// line editing and sent as stdin one line at a time, Ctrl-D as end of input, Ctrl-C as stop, and
// the status footer at the end.
import { footer, notes } from './format';
import type { Result } from './protocol';

/** Where a TerminalRun writes and what it asks of the run. */
export interface TerminalHost {
  /** Writes text (with escape sequences) to the terminal. */
  write(text: string): void;
  /** Sends input to the program's stdin; eof ends it after data. */
  send(data: string, eof: boolean): void;
  /** Ctrl-C: stop the run. */
  interrupt(): void;
}

const reset = '\x1b[0m';
const red = (s: string) => `\x1b[31m${s}${reset}`;
const green = (s: string) => `\x1b[32m${s}${reset}`;
const yellow = (s: string) => `\x1b[33m${s}${reset}`;
const dim = (s: string) => `\x1b[2m${s}${reset}`;

/** Terminal text: every line break as \r\n. */
export function crlf(s: string): string {
  return s.replace(/\r?\n/g, '\r\n');
}

/** The columns a string takes: wide (CJK, emoji) characters take two, controls none. */
export function cellWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x300 && c < 0x370) || c === 0x200d) {
      continue;
    }
    const wide =
      (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

export class TerminalRun {
  /** The server's id for the run, once sandrun/start (or the reply) said it. */
  runId: string | undefined;
  /** What the user typed on the current line and has not sent yet. */
  private line = '';
  /** Input waiting for the run request to be sent (ready). */
  private queued: Array<[string, boolean]> | undefined = [];
  private atLineStart = true;
  private inputEnded = false;
  private toldEnded = false;
  private done = false;
  /** Where an escape sequence from the keyboard (arrows, function keys) is being skipped. */
  private escape: 'none' | 'esc' | 'csi' | 'ss3' = 'none';
  private lastWasCR = false;

  constructor(
    readonly uri: string,
    private readonly host: TerminalHost,
  ) {}

  /** Whether the run ended (footer shown). */
  get finished(): boolean {
    return this.done;
  }

  /** Writes the run's header line (dimmed). */
  header(text: string): void {
    this.newline();
    this.host.write(dim(crlf(text)) + '\r\n');
    this.atLineStart = true;
  }

  /** The run request is on its way: input typed before now is sent, in order. */
  ready(): void {
    const q = this.queued;
    this.queued = undefined;
    for (const [data, eof] of q ?? []) {
      this.host.send(data, eof);
    }
  }

  /** A chunk of the program's output. A half-typed line is taken down and put back after it. */
  output(stream: string, data: string): void {
    if (this.done || data === '') {
      return;
    }
    const typed = this.line;
    if (typed !== '') {
      const w = cellWidth(typed);
      this.host.write(`\x1b[${w}D\x1b[K`);
    }
    const text = crlf(data);
    this.host.write(stream === 'stderr' ? red(text) : text);
    this.atLineStart = data.endsWith('\n');
    if (typed !== '') {
      this.host.write(typed);
      this.atLineStart = false;
    }
  }

  /** What the user typed (Pseudoterminal.handleInput): keys, or pasted text. */
  input(data: string): void {
    for (const ch of data) {
      if (this.skipEscape(ch)) {
        continue;
      }
      const cr = this.lastWasCR;
      this.lastWasCR = ch === '\r';
      if (this.done) {
        continue;
      }
      switch (ch) {
        case '\r':
          this.submit();
          break;
        case '\n':
          if (!cr) {
            this.submit(); // a pasted Unix line end; after \r it is the second half of \r\n
          }
          break;
        case '\x7f':
        case '\b':
          this.erase(1);
          break;
        case '\x15': // Ctrl-U: erase the line
          this.erase(Infinity);
          break;
        case '\x03': // Ctrl-C
          this.host.write('^C\r\n');
          this.atLineStart = true;
          this.line = '';
          this.host.interrupt();
          break;
        case '\x04': // Ctrl-D: what is typed goes, then the end of input
          if (!this.inputEnded) {
            this.inputEnded = true;
            this.send(this.line, true);
            this.line = '';
          }
          break;
        default:
          if (ch < ' ' && ch !== '\t') {
            break; // other control keys mean nothing here
          }
          if (this.inputEnded) {
            this.tellEnded();
            break;
          }
          this.line += ch;
          this.host.write(ch);
          this.atLineStart = false;
      }
    }
  }

  /** Ends the run with its result: the status footer, coloured. */
  finish(result: Result): void {
    if (this.end()) {
      const line = footer(result);
      this.host.write((result.status === 'ok' ? green(line) : red(line)) + '\r\n');
      for (const n of notes(result)) {
        this.host.write(crlf(n) + '\r\n');
      }
    }
  }

  /** Ends a run that produced no result: "[stopped]" or "[error] message". */
  fail(status: 'stopped' | 'error', message?: string): void {
    if (this.end()) {
      const line = message ? `[${status}] ${message}` : `[${status}]`;
      this.host.write((status === 'stopped' ? yellow(crlf(line)) : red(crlf(line))) + '\r\n');
    }
  }

  /** Says, on its own line, that some input did not reach the program. */
  inputFailed(message: string): void {
    if (this.done) {
      return;
    }
    this.newline();
    this.host.write(red(crlf(`[input not delivered] ${message}`)) + '\r\n');
    this.atLineStart = true;
  }

  private end(): boolean {
    if (this.done) {
      return false;
    }
    this.done = true;
    this.line = '';
    this.newline();
    return true;
  }

  private submit(): void {
    if (this.inputEnded) {
      this.tellEnded();
      return;
    }
    this.host.write('\r\n');
    this.atLineStart = true;
    const line = this.line;
    this.line = '';
    this.send(`${line}\n`, false);
  }

  private send(data: string, eof: boolean): void {
    if (this.queued) {
      this.queued.push([data, eof]);
    } else {
      this.host.send(data, eof);
    }
  }

  /** Removes up to n characters from the end of the typed line, on screen too. */
  private erase(n: number): void {
    const chars = [...this.line];
    const gone = chars.splice(Math.max(0, chars.length - n));
    if (gone.length === 0) {
      return;
    }
    this.line = chars.join('');
    const w = cellWidth(gone.join(''));
    this.host.write('\b'.repeat(w) + ' '.repeat(w) + '\b'.repeat(w));
  }

  private tellEnded(): void {
    if (!this.toldEnded) {
      this.toldEnded = true;
      this.newline();
      this.host.write(dim('(input ended with Ctrl-D; nothing more reaches the program)') + '\r\n');
      this.atLineStart = true;
    }
  }

  /** Keeps track of escape sequences; true while ch belongs to one. */
  private skipEscape(ch: string): boolean {
    switch (this.escape) {
      case 'esc':
        this.escape = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'none';
        return true;
      case 'csi': {
        const c = ch.codePointAt(0) ?? 0;
        if (c >= 0x40 && c <= 0x7e) {
          this.escape = 'none';
        }
        return true;
      }
      case 'ss3':
        this.escape = 'none';
        return true;
      default:
        if (ch === '\x1b') {
          this.escape = 'esc';
          return true;
        }
        return false;
    }
  }

  private newline(): void {
    if (!this.atLineStart || this.line !== '') {
      this.host.write('\r\n');
      this.atLineStart = true;
    }
  }
}
