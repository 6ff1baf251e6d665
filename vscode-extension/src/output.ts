// The "Sandrun" output panel: a header per run, the program's output as it streams in, a footer
// with status and timings. Runs are told apart by the server's runId; a run the extension started
// learns its runId from its first notification for that document (or from the reply).
import { footer, header, notes, stopReason, type HeaderInfo } from './format';
import type { OutputParams, Result, ResultParams, RunReply, StartParams } from './protocol';

/** The parts of a vscode.OutputChannel the log writes to. */
export interface Channel {
  append(value: string): void;
  appendLine(value: string): void;
  clear(): void;
  show(preserveFocus?: boolean): void;
}

/** How many runs the log remembers by id. */
const maxKnownRuns = 200;

/** One run as the panel shows it. */
export interface RunView {
  readonly uri: string;
  runId?: string;
  /** What the extension knew when it asked for the run (absent for the server's own runs). */
  readonly info?: HeaderInfo;
  headerShown: boolean;
  /** Whether at least one sandrun/output chunk arrived. */
  streamed: boolean;
  /** The unfinished last line of each stream, held back so that stdout and stderr lines do not mix. */
  readonly partial: Map<string, string>;
  flushTimer?: ReturnType<typeof setTimeout>;
  finished: boolean;
  result?: Result;
}

function newView(uri: string, info?: HeaderInfo): RunView {
  return { uri, info, headerShown: false, streamed: false, finished: false, partial: new Map() };
}

/** What the log needs from the rest of the extension. */
export interface RunLogHost {
  /** The header of a run of `uri` that the server started on its own and did not announce. */
  describe(uri: string): HeaderInfo;
  /** Whether to clear the panel before a run (sandrun.clearPreviousOutput). */
  clearFirst(): boolean;
  /** Called once per run when it begins (both the extension's runs and the server's). */
  onStart(view: RunView): void;
  /** Called once per run when it ends, with its result, or how it ended without one. */
  onFinish(view: RunView, outcome: Result | 'stopped' | 'error'): void;
}

/** Writes runs to the channel. Meant for VS Code's single extension thread. */
export class RunLog {
  private readonly byId = new Map<string, RunView>();
  /** Runs the extension started that have no runId yet, oldest first, by document. */
  private readonly pending = new Map<string, RunView[]>();
  private atLineStart = true;
  /** The stream the last text came from, to start a new line when the other one continues. */
  private lastKey: string | undefined;

  /**
   * flushDelayMs is how long an unfinished line waits for its end before it is shown anyway
   * (a prompt such as "Name: ").
   */
  constructor(
    private readonly channel: Channel,
    private readonly host: RunLogHost,
    private readonly flushDelayMs = 100,
  ) {}

  /**
   * Starts the panel's record of a run the extension asked for: clears (if so set) and reveals the
   * panel. The header waits for sandrun/start, which knows the version and executor.
   */
  start(uri: string, info: HeaderInfo): RunView {
    const view = newView(uri, info);
    this.clearMaybe();
    this.channel.show(true); // the cursor stays in the editor
    const list = this.pending.get(uri) ?? [];
    list.push(view);
    this.pending.set(uri, list);
    this.host.onStart(view);
    return view;
  }

  /** Handles a sandrun/start notification. */
  started(p: StartParams): void {
    const view = this.lookup(p.runId, p.uri, p);
    if (!view.headerShown && !view.finished) {
      const base = view.info ?? this.host.describe(p.uri);
      this.showHeader(view, {
        ...base,
        language: p.languageName || p.language || base.language,
        version: p.version || base.version,
        executor: p.executor || base.executor,
        trigger: p.trigger === 'save' ? 'run on save' : p.trigger === 'disk' ? 'changed on disk' : base.trigger,
      });
    }
  }

  /** Handles a sandrun/output notification. */
  output(p: OutputParams): void {
    const view = this.lookup(p.runId, p.uri);
    if (view.finished || typeof p.data !== 'string') {
      return;
    }
    this.ensureHeader(view);
    view.streamed = true;
    // Whole lines go out at once; a line's start waits for its end (or flushDelayMs of quiet), so
    // that a stderr line never lands in the middle of a stdout line read from the other pipe.
    const key = `${p.stage ?? ''}/${p.stream}`;
    const buf = (view.partial.get(key) ?? '') + p.data;
    const cut = buf.lastIndexOf('\n') + 1;
    if (cut > 0) {
      this.writeStream(buf.slice(0, cut), key);
    }
    if (cut < buf.length) {
      view.partial.set(key, buf.slice(cut));
    } else {
      view.partial.delete(key);
    }
    if (view.flushTimer !== undefined) {
      clearTimeout(view.flushTimer);
      view.flushTimer = undefined;
    }
    if (view.partial.size > 0) {
      view.flushTimer = setTimeout(() => this.flushPartial(view), this.flushDelayMs);
    }
  }

  /** Writes the held-back unfinished lines of a run (a prompt without a newline, the last line). */
  private flushPartial(view: RunView): void {
    if (view.flushTimer !== undefined) {
      clearTimeout(view.flushTimer);
      view.flushTimer = undefined;
    }
    for (const [key, rest] of view.partial) {
      this.writeStream(rest, key);
    }
    view.partial.clear();
  }

  /** Handles a sandrun/result notification. */
  result(p: ResultParams): void {
    const view = this.lookup(p.runId, p.uri);
    if (p.result) {
      this.finish(view, p.result);
    } else {
      this.fail(view, p.cancelled ? 'stopped' : 'error', p.cancelled ? stopReason(p.error) : p.error || 'the run produced no result');
    }
  }

  /** Handles the reply to the run the extension started as `view`. */
  reply(view: RunView, r: RunReply | null | undefined): void {
    if (view.runId === undefined && r && r.runId !== undefined && r.runId !== null) {
      this.bind(view, String(r.runId));
    }
    this.finish(view, r?.result);
  }

  /** Ends a run that produced no result: "[stopped]" or "[error] message". */
  fail(view: RunView, status: 'stopped' | 'error', message?: string): void {
    if (view.finished) {
      return;
    }
    this.ensureHeader(view);
    this.flushPartial(view);
    this.unpend(view);
    view.finished = true;
    this.newline();
    this.channel.appendLine(message ? `[${status}] ${message}` : `[${status}]`);
    this.channel.appendLine('');
    this.host.onFinish(view, status);
  }

  /** Writes one line outside any run (e.g. why run on save could not be turned on). */
  note(line: string): void {
    this.newline();
    this.channel.appendLine(line);
  }

  private finish(view: RunView, result: Result | null | undefined): void {
    if (view.finished) {
      return;
    }
    if (!result || typeof result !== 'object') {
      this.fail(view, 'error', 'the server answered without a result');
      return;
    }
    this.ensureHeader(view);
    this.flushPartial(view);
    this.unpend(view);
    view.finished = true;
    view.result = result;
    if (!view.streamed) {
      // The server sent no chunks (or the program printed nothing): show what the result holds.
      const c = result.compile;
      if (c && c.status !== 'ok') {
        this.writeStream(c.stdout ?? '', 'compile/stdout');
        this.writeStream(c.stderr ?? '', 'compile/stderr');
      }
      this.writeStream(result.stdout ?? '', 'run/stdout');
      this.writeStream(result.stderr ?? '', 'run/stderr');
    }
    this.newline();
    this.channel.appendLine(footer(result));
    for (const n of notes(result)) {
      this.channel.appendLine(n);
    }
    this.channel.appendLine('');
    this.host.onFinish(view, result);
  }

  /**
   * The run a notification belongs to: known by id, else the oldest unbound run the extension
   * started for the document, else a new run the server started by itself (run on save, a
   * change on disk): the panel is cleared (if so set) and revealed for it.
   */
  private lookup(runId: string | number, uri: string, announced?: StartParams): RunView {
    const id = String(runId);
    const known = this.byId.get(id);
    if (known) {
      return known;
    }
    const waiting = announced?.trigger === 'save' || announced?.trigger === 'disk'
      ? undefined
      : this.pending.get(uri)?.find((v) => v.runId === undefined);
    if (waiting) {
      this.bind(waiting, id);
      return waiting;
    }
    const view = newView(uri);
    this.bind(view, id);
    this.clearMaybe();
    this.channel.show(true);
    this.host.onStart(view);
    return view;
  }

  private bind(view: RunView, id: string): void {
    view.runId = id;
    this.byId.set(id, view);
    // Finished runs stay known so that a late chunk is dropped, not shown as a new run; keep the newest.
    for (const [old, v] of this.byId) {
      if (this.byId.size <= maxKnownRuns) {
        break;
      }
      if (v.finished) {
        this.byId.delete(old);
      }
    }
  }

  private unpend(view: RunView): void {
    const list = this.pending.get(view.uri);
    if (!list) {
      return;
    }
    const i = list.indexOf(view);
    if (i >= 0) {
      list.splice(i, 1);
    }
    if (list.length === 0) {
      this.pending.delete(view.uri);
    }
  }

  private ensureHeader(view: RunView): void {
    if (!view.headerShown) {
      this.showHeader(view, view.info ?? this.host.describe(view.uri));
    }
  }

  private showHeader(view: RunView, info: HeaderInfo): void {
    view.headerShown = true;
    this.newline();
    this.channel.appendLine(header(info));
  }

  private clearMaybe(): void {
    if (this.host.clearFirst()) {
      this.channel.clear();
      this.atLineStart = true;
    }
  }

  /** Appends a stream's text, on a new line if the last text came from another stream. */
  private writeStream(data: string, key: string): void {
    if (data !== '' && this.lastKey !== key) {
      this.newline();
    }
    this.write(data, key);
  }

  /** Appends data; key names the stream it came from (none: the log's own text). */
  private write(data: string, key?: string): void {
    if (data === '') {
      return;
    }
    this.channel.append(data);
    this.atLineStart = data.endsWith('\n');
    this.lastKey = key;
  }

  private newline(): void {
    if (!this.atLineStart) {
      this.channel.append('\n');
      this.atLineStart = true;
    }
  }
}
