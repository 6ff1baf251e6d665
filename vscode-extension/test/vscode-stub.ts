// A stand-in for the `vscode` module, loaded by mocha before the tests (.mocharc.json), so the
// extension's modules run under plain Node. It holds only what those modules touch; tests set
// settings with setConfig and open documents with setDocuments.
import Module = require('node:module');
import * as path from 'node:path';

/** A minimal vscode.Uri: scheme and path, like the real one for file: and untitled: URIs. */
export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    const i = s.indexOf(':');
    const rest = s.slice(i + 1);
    return new Uri(s.slice(0, i), decodeURIComponent(rest.startsWith('//') ? rest.slice(2) : rest));
  }
  with(change: { path?: string; scheme?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${encodeURI(this.path)}` : `${this.scheme}:${this.path}`;
  }
}

let config: Record<string, unknown> = {};
let workspaceConfig: Record<string, unknown> = {};
/**
 * Replaces every sandrun.* setting (keys without the "sandrun." prefix): c the user's values,
 * workspace the workspace's (which win in get(), as in VS Code for non-machine settings).
 */
export function setConfig(c: Record<string, unknown>, workspace: Record<string, unknown> = {}): void {
  config = { ...c };
  workspaceConfig = { ...workspace };
}

let workspaceRoot = '/ws';
const documents: unknown[] = [];
/** Replaces the open documents and the one workspace folder. */
export function setDocuments(docs: unknown[], root = '/ws'): void {
  documents.splice(0, documents.length, ...docs);
  workspaceRoot = root;
}

export const workspace = {
  getConfiguration(section: string) {
    if (section !== 'sandrun') {
      throw new Error(`stub: unexpected configuration section ${section}`);
    }
    return {
      get: <T>(key: string): T | undefined => (key in workspaceConfig ? workspaceConfig[key] : config[key]) as T | undefined,
      inspect: <T>(key: string) => ({
        key: `sandrun.${key}`,
        globalValue: config[key] as T | undefined,
        workspaceValue: workspaceConfig[key] as T | undefined,
      }),
    };
  },
  asRelativePath(u: Uri | string, _includeFolder?: boolean): string {
    const p = typeof u === 'string' ? u : u.path;
    const rel = path.posix.relative(workspaceRoot, p);
    return rel.startsWith('..') ? p : rel;
  },
  get textDocuments() {
    return documents;
  },
};

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

/** Every status-bar item the code created, newest last. */
export const statusBarItems: Array<Record<string, unknown>> = [];

export const window = {
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number) {
    const item: Record<string, unknown> = { id, alignment, priority, visible: false };
    item.show = () => (item.visible = true);
    item.hide = () => (item.visible = false);
    item.dispose = () => undefined;
    statusBarItems.push(item);
    return item;
  },
  createTerminal(options: { name: string; pty: any }) {
    const t: StubTerminal & { show(preserveFocus?: boolean): void; dispose(): void } = {
      options,
      shown: [],
      disposed: false,
      show: (preserveFocus?: boolean) => void t.shown.push(preserveFocus),
      dispose: () => void (t.disposed = true),
    };
    terminals.push(t);
    return t;
  },
};

/** vscode.EventEmitter: listeners called in order; nothing after dispose. */
export class EventEmitter<T> {
  private listeners: Array<(v: T) => void> | undefined = [];
  readonly event = (l: (v: T) => void) => {
    this.listeners?.push(l);
    return { dispose: () => this.listeners?.splice(this.listeners.indexOf(l), 1) };
  };
  fire(v: T): void {
    for (const l of [...(this.listeners ?? [])]) {
      l(v);
    }
  }
  dispose(): void {
    this.listeners = undefined;
  }
}

/** A terminal the code created: its options (name, pty), show() calls and whether it was disposed. */
export interface StubTerminal {
  options: { name: string; pty: any };
  shown: Array<boolean | undefined>;
  disposed: boolean;
}

/** Every terminal the code created, newest last. */
export const terminals: StubTerminal[] = [];

const stub = { Uri, workspace, window, StatusBarAlignment, ThemeColor, EventEmitter, setConfig, setDocuments, statusBarItems, terminals };

// Make require('vscode') return the stub.
const M = Module as unknown as {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _cache: Record<string, unknown>;
};
const resolve = M._resolveFilename;
M._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache['vscode'] = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub } as unknown as NodeJS.Module;
