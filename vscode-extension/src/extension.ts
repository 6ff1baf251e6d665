// Sandrun for VS Code: "Run Snippet" (selection, else the whole unsaved buffer), "Run with Input…",
// "Toggle Run on Save" and "Stop", with output, status and timings in the "Sandrun" output panel;
// "Run in Terminal" for programs that ask for input as they go, in the "Sandrun" terminal.
// Every run happens in `sandrun lsp`, which this extension starts; nothing runs on the host here.
import * as vscode from 'vscode';
import { findLanguage, header, stopReason, type HeaderInfo } from './format';
import { RunLog, type RunView } from './output';
import { buildRunArgs } from './runArgs';
import { errorText, runFailure, StartError } from './errors';
import { OutputLinks } from './links';
import { Server } from './server';
import { readSettings, workspaceOverrides } from './settings';
import type { Result } from './protocol';
import { StatusBar } from './status';
import { SandrunTerminal } from './terminal';
import type { TerminalRun } from './terminalRun';
import { inputBoxToStdin, resolveStdin, stdinToInputBox, type Stdin, type UriLike } from './stdin';
import { Watches } from './watches';

/** A run the extension started and has not heard the end of. */
interface InFlight {
  readonly cts: vscode.CancellationTokenSource;
  readonly view: RunView;
  /** Resolves when the reply (or the failure) has been handled. */
  readonly finished: Promise<void>;
}

/** The machine settings a workspace tried to set that the user has been told about. */
const toldOverrides = new Set<string>();

/** Tells the user, once per setting, that the workspace's value of a machine setting is ignored. */
export function warnWorkspaceOverrides(): void {
  const fresh = workspaceOverrides().filter((k) => !toldOverrides.has(k));
  if (fresh.length === 0) {
    return;
  }
  fresh.forEach((k) => toldOverrides.add(k));
  void vscode.window.showWarningMessage(
    `Sandrun: this workspace tries to set ${fresh.join(', ')}; Sandrun ignores it and uses only your user settings, so that a project cannot choose which binary runs, where code goes or which file is sent as a token.`,
  );
}

export function activate(context: vscode.ExtensionContext): void {
  warnWorkspaceOverrides();
  const channel = vscode.window.createOutputChannel('Sandrun');
  const serverLog = vscode.window.createOutputChannel('Sandrun Server');
  const status = new StatusBar();
  const inFlight = new Map<string, InFlight>();
  const term = new SandrunTerminal();
  /** The interactive run in the Sandrun terminal, while it is in flight. */
  let termRun: { run: TerminalRun; cts: vscode.CancellationTokenSource; finished: Promise<void> } | undefined;

  const updateRunningContext = () => void vscode.commands.executeCommand('setContext', 'sandrun.running', status.busy);
  const log = new RunLog(channel, {
    describe: (uri) => headerFor(uri, { trigger: 'run on save' }),
    clearFirst: () => readSettings().clearPreviousOutput,
    onStart: () => {
      status.started();
      updateRunningContext();
    },
    onFinish: (_view, outcome) => {
      status.finished(outcome);
      updateRunningContext();
    },
  });
  const links = new OutputLinks();
  context.subscriptions.push(vscode.languages.registerDocumentLinkProvider({ scheme: 'output' }, links));
  const server = new Server(serverLog, {
    // The terminal's run is shown there; everything else in the output panel.
    start: (p) => {
      links.started(p);
      return term.started(p) || log.started(p);
    },
    output: (p) => term.output(p) || log.output(p),
    result: (p) => term.result(p) || log.result(p),
    started: () => void watches.resync().then(syncActive),
  });
  const watches = new Watches(server, (uri) => stdinFor(uri), (msg) => log.note(`[error] ${msg}`));

  /** The header of a run of `uri`. */
  function headerFor(uri: string, extra: Partial<HeaderInfo> = {}): HeaderInfo {
    const u = vscode.Uri.parse(uri);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    const languageId = doc?.languageId ?? '';
    const lang = findLanguage(server.languages, languageId);
    return {
      language: lang?.name || lang?.id || languageId || 'unknown language',
      version: lang?.version,
      executor: readSettings().executor,
      file: baseName(u),
      ...extra,
    };
  }

  function stdinFor(uri: vscode.Uri, explicit?: string): Promise<Stdin | undefined> {
    return resolveStdin({
      explicit,
      uri,
      setting: readSettings().stdin,
      read: async (c: UriLike) => {
        try {
          return await vscode.workspace.fs.readFile(c as vscode.Uri);
        } catch (err) {
          if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') {
            return undefined;
          }
          throw err;
        }
      },
    });
  }

  async function run(editor: vscode.TextEditor, explicitStdin?: string): Promise<void> {
    const doc = editor.document;
    const uri = doc.uri.toString();
    let stdin: Stdin | undefined;
    try {
      stdin = await stdinFor(doc.uri, explicitStdin);
    } catch (err) {
      void vscode.window.showErrorMessage(`Sandrun: ${errorText(err)}`);
      return;
    }
    const args = buildRunArgs(editor, { stdin: stdin?.text });
    links.sent(uri, args.range?.start.line ?? 0);
    // A new run of the same document replaces the one in flight: never "already running". Its
    // end is awaited (briefly) so that the notifications of the two runs cannot be mixed up.
    const prev = inFlight.get(uri);
    if (prev) {
      prev.cts.cancel();
      await Promise.race([prev.finished, new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    const view = log.start(uri, headerFor(uri, { range: args.range, stdinFrom: stdin?.from }));
    const cts = new vscode.CancellationTokenSource();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const me: InFlight = { cts, view, finished };
    inFlight.set(uri, me);
    const timer = setTimeout(() => showProgress(baseName(doc.uri), finished, () => void stop(uri)), 1000);
    try {
      log.reply(view, await server.run(args, cts.token));
    } catch (err) {
      if (cts.token.isCancellationRequested) {
        log.fail(view, 'stopped');
      } else if ((err as { code?: number }).code === -32800) {
        log.fail(view, 'stopped', stopReason(errorText(err)));
      } else {
        log.fail(view, 'error', runFailure(err, doc));
        if (err instanceof StartError) {
          void offerSettings(err);
        }
      }
    } finally {
      clearTimeout(timer);
      done();
      cts.dispose();
      if (inFlight.get(uri) === me) {
        inFlight.delete(uri);
      }
    }
  }

  /**
   * Runs the selection or buffer in the Sandrun terminal: output streams there, what the user
   * types goes to the program line by line (sandrun.stdin), Ctrl-D ends the input, Ctrl-C stops.
   */
  async function runInTerminal(editor: vscode.TextEditor): Promise<void> {
    const uri = editor.document.uri.toString();
    const args = buildRunArgs(editor, { interactive: true });
    // One run at a time in the terminal, one per document: a new run replaces them.
    const prevs = [termRun, inFlight.get(uri)].filter((p) => p !== undefined);
    if (prevs.length > 0) {
      prevs.forEach((p) => p.cts.cancel());
      await Promise.race([Promise.all(prevs.map((p) => p.finished)), new Promise((resolve) => setTimeout(resolve, 3000))]);
    }
    // The header, written at once, names the language and its version from the server's list:
    // start the server first (a failure to start is reported by the run below).
    await server.get().catch(() => undefined);
    const cts = new vscode.CancellationTokenSource();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const info = headerFor(uri, { range: args.range, stdinFrom: 'this terminal' });
    const run = term.begin(uri, header(info), readSettings().clearPreviousOutput, {
      send: (r, data, eof) =>
        void server.stdin(r.runId !== undefined ? { runId: r.runId, data, eof } : { uri, data, eof }).catch((err) => r.inputFailed(errorText(err))),
      interrupt: () => cts.cancel(),
    });
    const me = { run, cts, finished };
    termRun = me;
    status.started();
    updateRunningContext();
    let outcome: Result | 'stopped' | 'error' = 'error';
    try {
      const reply = await server.run(args, cts.token, () => run.ready());
      if (run.runId === undefined && reply?.runId !== undefined && reply?.runId !== null) {
        run.runId = String(reply.runId);
      }
      if (reply?.result) {
        run.finish(reply.result);
        outcome = reply.result;
      } else {
        run.fail('error', 'the server answered without a result');
      }
    } catch (err) {
      const stopped = cts.token.isCancellationRequested || (err as { code?: number }).code === -32800;
      outcome = stopped ? 'stopped' : 'error';
      // Stopped here (Ctrl-C, Stop, closing the terminal): "[stopped]" alone; by the server: its reason.
      const why = !stopped ? runFailure(err, editor.document) : cts.token.isCancellationRequested ? undefined : stopReason(errorText(err));
      run.fail(outcome, why);
      if (err instanceof StartError) {
        void offerSettings(err);
      }
    } finally {
      term.ended(run);
      done();
      cts.dispose();
      if (termRun === me) {
        termRun = undefined;
      }
      status.finished(outcome);
      updateRunningContext();
    }
  }

  /** A notification with a Cancel button, for runs that last more than a second. */
  function showProgress(name: string, finished: Promise<void>, cancel: () => void): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sandrun: running ${name}`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(cancel);
        return finished;
      },
    );
  }

  /** Stops the runs of one document, or all: $/cancelRequest for the extension's, sandrun.stop for the server's. */
  async function stop(uri?: string): Promise<void> {
    if (termRun && (uri === undefined || termRun.run.uri === uri)) {
      termRun.cts.cancel();
    }
    for (const [u, f] of inFlight) {
      if (uri === undefined || u === uri) {
        f.cts.cancel();
        // A server that never answers a cancelled request must not leave the run shown as running.
        setTimeout(() => log.fail(f.view, 'stopped', 'the server did not confirm the stop'), 3000);
      }
    }
    try {
      await server.stop(uri === undefined ? {} : { uri });
    } catch (err) {
      log.note(`[error] sandrun.stop: ${errorText(err)}`);
    }
  }

  /** The editor to run: the active one, or, when the output panel has the focus, the last file editor. */
  function activeEditor(): vscode.TextEditor | undefined {
    let e = vscode.window.activeTextEditor;
    if (e && !runnable(e.document.uri)) {
      e = vscode.window.visibleTextEditors.find((v) => v.document.uri.toString() === lastEditorUri);
    }
    if (!e) {
      void vscode.window.showErrorMessage('Sandrun: open a file to run: no editor is active.');
    }
    return e;
  }

  let lastEditorUri: string | undefined;
  function syncActive(): void {
    const d = vscode.window.activeTextEditor?.document;
    if (d && runnable(d.uri)) {
      lastEditorUri = d.uri.toString();
    }
    status.setWatching(d !== undefined && watches.isOn(d.uri.toString()));
  }

  async function startServer(): Promise<void> {
    try {
      await server.get();
    } catch (err) {
      await offerSettings(err);
    }
  }

  /** Says why the server did not start, in one sentence, with a button that opens sandrun.path. */
  async function offerSettings(err: unknown): Promise<void> {
    const pick = await vscode.window.showErrorMessage(`Sandrun: ${errorText(err)}`, 'Open Settings');
    if (pick) {
      // A machine setting shows under the Remote tab in a remote window (code-server, SSH), where
      // the User tab says "No Settings Found".
      if (vscode.env.remoteName) {
        await vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query: 'sandrun.path' });
      } else {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'sandrun.path');
      }
    }
  }

  const command = (id: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  command('sandrun.runSnippet', async (target?: unknown) => {
    let editor: vscode.TextEditor | undefined;
    if (target instanceof vscode.Uri && vscode.window.activeTextEditor?.document.uri.toString() !== target.toString()) {
      editor = await vscode.window.showTextDocument(target); // from an editor title or the explorer
    }
    editor ??= activeEditor();
    if (editor) {
      await run(editor);
    }
  });

  command('sandrun.runWithInput', async () => {
    const editor = activeEditor();
    if (!editor) {
      return;
    }
    const key = `stdin:${editor.document.uri.toString()}`;
    const name = baseName(editor.document.uri);
    const typed = await vscode.window.showInputBox({
      title: `Sandrun: standard input for ${name}`,
      prompt: `What the program reads; \\n starts a new line. For longer input, save it as ${name}.stdin next to the file.`,
      value: stdinToInputBox(context.workspaceState.get<string>(key) ?? ''),
      ignoreFocusOut: true,
    });
    if (typed === undefined) {
      return;
    }
    const stdin = inputBoxToStdin(typed);
    await context.workspaceState.update(key, stdin);
    await run(editor, stdin);
  });

  command('sandrun.runInTerminal', async (target?: unknown) => {
    let editor: vscode.TextEditor | undefined;
    if (target instanceof vscode.Uri && vscode.window.activeTextEditor?.document.uri.toString() !== target.toString()) {
      editor = await vscode.window.showTextDocument(target);
    }
    editor ??= activeEditor();
    if (editor) {
      await runInTerminal(editor);
    }
  });

  command('sandrun.stopRun', () => stop());

  command('sandrun.toggleRunOnSave', async () => {
    const editor = activeEditor();
    if (!editor) {
      return;
    }
    const doc = editor.document;
    if (doc.uri.scheme !== 'file') {
      void vscode.window.showErrorMessage('Sandrun: save the file first: run on save needs a file on disk.');
      return;
    }
    try {
      const on = await watches.toggle(doc);
      syncActive();
      vscode.window.setStatusBarMessage(
        `Sandrun: run on save ${on ? 'on' : 'off'} for ${vscode.workspace.asRelativePath(doc.uri)}`,
        4000,
      );
    } catch (err) {
      if (err instanceof StartError) {
        void offerSettings(err);
      } else {
        void vscode.window.showErrorMessage(`Sandrun: ${runFailure(err, doc)}`);
      }
    }
  });

  command('sandrun.showOutput', () => channel.show(true));

  command('sandrun.restartServer', async () => {
    await server.restart();
    await startServer();
  });

  context.subscriptions.push(
    channel,
    term,
    serverLog,
    status,
    server,
    vscode.window.onDidChangeActiveTextEditor(syncActive),
    vscode.workspace.onDidOpenTextDocument((d) => void watches.apply(d).then(syncActive)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('sandrun')) {
        return;
      }
      warnWorkspaceOverrides();
      if (e.affectsConfiguration('sandrun.path')) {
        await server.restart();
        if (watches.anyWanted()) {
          await startServer(); // its "started" event sends the watches again
        }
        return;
      }
      await server.configure().catch((err) => log.note(`[error] settings: ${errorText(err)}`));
      await watches.applyAll();
      syncActive();
    }),
  );

  syncActive();
  // Start the server now only when something runs on save; otherwise on the first command.
  if (watches.anyWanted()) {
    void startServer();
  }
}

export function deactivate(): void {
  // The disposables registered in activate stop the server.
}

/** Whether a document can be run: not the output panel or another internal view. */
function runnable(u: vscode.Uri): boolean {
  return u.scheme !== 'output' && u.scheme !== 'vscode-settings' && u.scheme !== 'git';
}

/** The file name of a URI ("Untitled-1" for a new buffer). */
function baseName(u: vscode.Uri): string {
  return u.path.slice(u.path.lastIndexOf('/') + 1) || u.toString();
}
