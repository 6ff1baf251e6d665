// Starting and talking to `sandrun lsp` through vscode-languageclient. The client registers the
// server's own commands (sandrun.run, …) in VS Code; the extension calls them with sendRequest so
// that it can pass a cancellation token ($/cancelRequest kills the run).
import * as vscode from 'vscode';
import {
  type CancellationToken,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  TransportKind,
  WorkDoneProgress,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  Notification,
  ServerCommand,
  type LanguageInfo,
  type OutputParams,
  type ResultParams,
  type RunArgs,
  type RunReply,
  type StartParams,
  type StdinArgs,
  type StdinReply,
  type StopArgs,
  type WatchArgs,
} from './protocol';
import { errorText, StartError, startFailure } from './errors';
import { readSettings, resolveBinary, serverSettings } from './settings';

/**
 * The language client, minus its own notification when the server cannot be started ("Sandrun
 * Server client: couldn't create connection to server.", shown whatever the options say): the
 * extension says why in one sentence, with a button that opens sandrun.path (StartError).
 */
class Client extends LanguageClient {
  override error(message: string, data?: unknown, showNotification?: boolean | 'force'): void {
    const quiet = /couldn't create connection to server/.test(message);
    super.error(message, data, quiet ? false : showNotification);
  }
}

/** Receives what the server says on its own. */
export interface ServerEvents {
  start(p: StartParams): void;
  output(p: OutputParams): void;
  result(p: ResultParams): void;
  /** The server (re)started: watch state must be sent again. */
  started(): void;
}

export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private langs: LanguageInfo[] = [];
  private seq = 0;

  constructor(
    private readonly log: vscode.OutputChannel,
    private readonly events: ServerEvents,
  ) {}

  /** The languages the server offers, as last listed ([] until then). */
  get languages(): readonly LanguageInfo[] {
    return this.langs;
  }

  /** The running client, started on first use. Rejects with a sentence a user can act on. */
  get(): Promise<LanguageClient> {
    if (this.client && this.client.state === State.Running) {
      return Promise.resolve(this.client);
    }
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * Runs a program and resolves with the server's reply; the token cancels it. The request carries
   * its own workDoneToken so that the server reports progress to it instead of creating a
   * status-bar progress of its own: the extension already shows one. onSent is called once the
   * request is on its way, so that what must follow it on the wire (sandrun.stdin) can go.
   */
  async run(args: RunArgs, token: CancellationToken, onSent?: () => void): Promise<RunReply> {
    const c = await this.get();
    const workDoneToken = `sandrun-vscode-${++this.seq}`;
    const sub = c.onProgress(WorkDoneProgress.type, workDoneToken, () => undefined);
    try {
      const reply = c.sendRequest(
        ExecuteCommandRequest.type,
        { command: ServerCommand.run, arguments: [args], workDoneToken },
        token,
      );
      onSent?.();
      return (await reply) as RunReply;
    } finally {
      sub.dispose();
    }
  }

  /** Sends input to an interactive run. Requests go out in the order they are made. */
  async stdin(args: StdinArgs): Promise<StdinReply> {
    return this.execute<StdinReply>(ServerCommand.stdin, args);
  }

  /** Turns run-on-save on or off for one document. */
  async watch(args: WatchArgs): Promise<void> {
    await this.execute(ServerCommand.watch, args);
  }

  /** Stops the runs of a document, or every run. */
  async stop(args: StopArgs): Promise<void> {
    await this.execute(ServerCommand.stop, args);
  }

  /** Sends the current settings to a running server. */
  async configure(): Promise<void> {
    const c = this.client;
    if (c && c.state === State.Running) {
      await c.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { sandrun: serverSettings(readSettings()) },
      });
    }
  }

  /** Stops the server; the next get() starts it again (e.g. with a new sandrun.path). */
  async restart(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      await c.dispose(5000).catch(() => undefined);
    }
  }

  private async execute<T>(command: string, arg: unknown): Promise<T> {
    const c = await this.get();
    return (await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] })) as T;
  }

  private async start(): Promise<LanguageClient> {
    await this.restart();
    const s = readSettings();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const command = resolveBinary(s.path);
    if (command === undefined) {
      throw new StartError(`sandrun.path "${s.path}" is a relative path; give a name on PATH (sandrun) or an absolute path (~/ works) in your user settings`);
    }
    const exe = { command, args: ['lsp'], transport: TransportKind.stdio, options: { cwd: folder?.scheme === 'file' ? folder.fsPath : undefined } };
    const serverOptions: ServerOptions = { run: exe, debug: exe };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions: serverSettings(s),
      outputChannel: this.log,
      revealOutputChannelOn: 4, // RevealOutputChannelOn.Never: run errors go to the Sandrun panel
      // Should the server pull its settings (workspace/configuration), it gets what readSettings
      // allows, never a workspace's sandrun.executor or sandrun.tokenFile.
      middleware: {
        workspace: {
          configuration: (params, token, next) =>
            params.items.map((item) => (item.section === 'sandrun' ? serverSettings(readSettings()) : null)),
        },
      },
    };
    const client = new Client('sandrun', 'Sandrun Server', serverOptions, clientOptions);
    client.onNotification(Notification.start, (p: StartParams) => this.events.start(p));
    client.onNotification(Notification.output, (p: OutputParams) => this.events.output(p));
    client.onNotification(Notification.result, (p: ResultParams) => this.events.result(p));
    try {
      await client.start();
    } catch (err) {
      await client.dispose(2000).catch(() => undefined);
      throw new StartError(startFailure(command, errorText(err)));
    }
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running && this.client === client) {
        this.events.started(); // the client restarted the server after a crash
      }
    });
    await this.refreshLanguages(client);
    this.events.started();
    return client;
  }

  private async refreshLanguages(c: LanguageClient): Promise<void> {
    try {
      const list = await c.sendRequest(ExecuteCommandRequest.type, { command: ServerCommand.languages, arguments: [] });
      const langs: LanguageInfo[] = Array.isArray(list) ? list : Array.isArray(list?.languages) ? list.languages : [];
      this.langs = langs.filter((l) => l && typeof l.id === 'string');
      const ids = new Set<string>();
      for (const l of this.langs) {
        ids.add(l.id);
        if (l.vscode_id) {
          ids.add(l.vscode_id);
        }
      }
      await vscode.commands.executeCommand('setContext', 'sandrun.languageIds', [...ids]);
      await vscode.commands.executeCommand('setContext', 'sandrun.ready', true);
    } catch (err) {
      this.log.appendLine(`sandrun.languages failed: ${errorText(err)}`);
    }
  }

  dispose(): void {
    void this.restart();
  }
}
