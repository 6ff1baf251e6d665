// The `sandrun.*` settings, read in one place. In Restricted Mode VS Code itself drops workspace
// values of the settings listed in package.json's restrictedConfigurations.
//
// sandrun.path, sandrun.executor, sandrun.tokenFile and sandrun.tlsCA choose which binary runs,
// where code goes and which file is sent as a token: a repository's .vscode/settings.json must
// not choose them, trusted or not. package.json declares them "scope": "machine", and they are
// read here from the user's settings only; a workspace that sets them is reported once.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ServerSettings } from './protocol';

/** Every setting the extension reads. */
export interface Settings extends ServerSettings {
  path: string;
  clearPreviousOutput: boolean;
}

/** The settings a workspace may not set: only the user's own values are read. */
export const machineSettings = ['path', 'executor', 'tokenFile', 'tlsCA'] as const;

/** Reads the settings, with defaults for anything missing or of the wrong type. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('sandrun');
  const str = (key: string, def: string): string => {
    const v = c.get<unknown>(key);
    return typeof v === 'string' ? v.trim() : def;
  };
  const user = (key: string, def: string): string => {
    const i = c.inspect<unknown>(key);
    const v = i?.globalValue ?? i?.defaultValue;
    return typeof v === 'string' ? v.trim() : def;
  };
  const list = c.get<unknown>('runOnSave');
  return {
    path: user('path', 'sandrun') || 'sandrun',
    executor: user('executor', 'local') || 'local',
    tokenFile: expandHome(user('tokenFile', '')),
    tlsCA: expandHome(user('tlsCA', '')),
    timeLimit: str('timeLimit', ''),
    memoryLimit: str('memoryLimit', ''),
    clearPreviousOutput: c.get<unknown>('clearPreviousOutput') !== false,
    runOnSave: Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [],
    stdin: (() => {
      const v = c.get<unknown>('stdin');
      return typeof v === 'string' ? v : '';
    })(),
    runtime: runtimes(c.get<unknown>('runtime')),
  };
}

/** sandrun.runtime: language id → runtime name, keeping only string values. */
function runtimes(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, r] of Object.entries(v as Record<string, unknown>)) {
      if (typeof r === 'string' && r.trim() !== '') {
        out[k] = r.trim();
      }
    }
  }
  return out;
}

/**
 * Names the machine settings (sandrun.path, …) that the workspace or one of its folders tries to
 * set; those values are ignored.
 */
export function workspaceOverrides(): string[] {
  const c = vscode.workspace.getConfiguration('sandrun');
  return machineSettings.filter((key) => {
    const i = c.inspect<unknown>(key);
    return i !== undefined && (i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
  }).map((key) => `sandrun.${key}`);
}

/** The part of the settings the server reads (initializationOptions and didChangeConfiguration). */
export function serverSettings(s: Settings): ServerSettings {
  return {
    executor: s.executor,
    tokenFile: s.tokenFile,
    tlsCA: s.tlsCA,
    timeLimit: s.timeLimit,
    memoryLimit: s.memoryLimit,
    runOnSave: s.runOnSave,
    stdin: s.stdin,
    runtime: s.runtime,
  };
}

/** Expands a leading "~/" to the home folder. */
export function expandHome(p: string, home = os.homedir()): string {
  if (p === '~') {
    return home;
  }
  return p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/**
 * The command to start: a bare name is looked up on PATH by the system; "~/x" is expanded; an
 * absolute path is taken as is. A relative path with a "/" is never resolved against the
 * workspace (a repository could ship its own "sandrun"): it is refused with undefined.
 */
export function resolveBinary(p: string, home = os.homedir()): string | undefined {
  const e = expandHome(p, home);
  if (!e.includes('/') || path.isAbsolute(e)) {
    return e;
  }
  return undefined;
}
