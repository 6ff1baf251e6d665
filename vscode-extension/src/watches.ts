// Run on save: which documents the server watches. A document is watched when "Toggle Run on
// Save" turned it on, or, unless that turned it off, when it matches the sandrun.runOnSave setting.
import * as vscode from 'vscode';
import { matchesRunOnSave } from './runOnSave';
import type { WatchArgs } from './protocol';
import { readSettings } from './settings';
import type { Stdin } from './stdin';

/** The server calls Watches makes. */
export interface WatchServer {
  watch(args: WatchArgs): Promise<void>;
}

export class Watches {
  /** Toggle Run on Save choices, by document URI; they win over the setting. */
  private readonly manual = new Map<string, boolean>();
  /** Documents the server was told to watch. */
  private readonly on = new Set<string>();

  constructor(
    private readonly server: WatchServer,
    private readonly stdinFor: (uri: vscode.Uri) => Promise<Stdin | undefined>,
    private readonly onError: (message: string) => void,
  ) {}

  /** Whether the document runs on save. */
  isOn(uri: string): boolean {
    return this.on.has(uri);
  }

  /** Whether anything would be watched now (so the server must be started). */
  anyWanted(): boolean {
    return [...this.manual.values()].some(Boolean) || readSettings().runOnSave.length > 0;
  }

  /** Turns run on save the other way for one document; resolves to the new state. */
  async toggle(doc: vscode.TextDocument): Promise<boolean> {
    const uri = doc.uri.toString();
    const want = !this.on.has(uri);
    this.manual.set(uri, want);
    await this.send(doc, want);
    return want;
  }

  /** Tells the server what one document needs, if that changed. Errors go to onError. */
  async apply(doc: vscode.TextDocument): Promise<void> {
    if (doc.uri.scheme !== 'file') {
      return;
    }
    const uri = doc.uri.toString();
    const want =
      this.manual.get(uri) ??
      matchesRunOnSave(readSettings().runOnSave, {
        languageId: doc.languageId,
        relativePath: vscode.workspace.asRelativePath(doc.uri, false),
      });
    if (want === this.on.has(uri)) {
      return;
    }
    try {
      await this.send(doc, want);
    } catch (err) {
      this.onError(`run on save for ${vscode.workspace.asRelativePath(doc.uri)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** apply for every open document. */
  async applyAll(): Promise<void> {
    await Promise.all(vscode.workspace.textDocuments.map((d) => this.apply(d)));
  }

  /** The server (re)started and knows nothing: tell it again. */
  async resync(): Promise<void> {
    this.on.clear();
    await this.applyAll();
  }

  private async send(doc: vscode.TextDocument, enabled: boolean): Promise<void> {
    const uri = doc.uri.toString();
    // Mark first so that two quick applies do not both send; undo on failure.
    if (enabled) {
      this.on.add(uri);
    } else {
      this.on.delete(uri);
    }
    try {
      const args: WatchArgs = { uri, enabled, languageId: doc.languageId };
      if (enabled) {
        const stdin = await this.stdinFor(doc.uri).catch(() => undefined);
        if (stdin) {
          args.stdin = stdin.text;
        }
      }
      await this.server.watch(args);
    } catch (err) {
      if (enabled) {
        this.on.delete(uri);
      } else {
        this.on.add(uri);
      }
      throw err;
    }
  }
}
