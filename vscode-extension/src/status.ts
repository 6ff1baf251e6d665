// The status-bar item: a spinner while a run is in flight, else the last run's status; "watch" in
// front while the active document runs on save. Clicking stops a run, or shows the output.
import * as vscode from 'vscode';
import { footer, statusIcon, statusText } from './format';
import type { Result } from './protocol';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sandrun.status', vscode.StatusBarAlignment.Left, 50);
  private running = 0;
  private last: Result | 'stopped' | 'error' | undefined;
  private watching = false;

  constructor() {
    this.item.name = 'Sandrun';
    this.render();
    this.item.show();
  }

  /** A run began. */
  started(): void {
    this.running++;
    this.render();
  }

  /** A run ended with `result`, or without one when it was stopped or failed. */
  finished(result: Result | 'stopped' | 'error'): void {
    this.running = Math.max(0, this.running - 1);
    this.last = result;
    this.render();
  }

  /** Whether the active document runs on save. */
  setWatching(on: boolean): void {
    this.watching = on;
    this.render();
  }

  /** True while at least one run is in flight. */
  get busy(): boolean {
    return this.running > 0;
  }

  private render(): void {
    const watch = this.watching ? '$(eye) watch · ' : '';
    const it = this.item;
    it.backgroundColor = undefined;
    if (this.running > 0) {
      it.text = `${watch}$(sync~spin) Sandrun: running`;
      it.tooltip = 'Sandrun is running a program. Click to stop it.';
      it.command = 'sandrun.stopRun';
      return;
    }
    const last = this.last;
    if (last === undefined) {
      it.text = `${watch}$(play) Sandrun`;
      it.tooltip = 'Run the selection, or the whole file, in the sandbox (Sandrun: Run Snippet)';
      it.command = 'sandrun.runSnippet';
      return;
    }
    if (last === 'stopped' || last === 'error') {
      it.text = `${watch}${last === 'stopped' ? '$(debug-stop)' : '$(error)'} Sandrun: ${last}`;
    } else {
      it.text = `${watch}${statusIcon(last.status)} ${statusText(last)}`;
    }
    if (last === 'error' || (typeof last === 'object' && last.status !== 'ok')) {
      it.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    }
    it.tooltip = `Sandrun: ${typeof last === 'object' ? footer(last) : last}. Click to show the output.`;
    it.command = 'sandrun.showOutput';
  }

  dispose(): void {
    this.item.dispose();
  }
}
