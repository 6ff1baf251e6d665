// The `sandrun.*` settings, read in one place. In Restricted Mode VS Code itself drops workspace
// values of the settings listed in package.json's restrictedConfigurations.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ServerSettings } from './protocol';

/** Every setting the extension reads. */
export interface Settings extends ServerSettings {
  path: string;
  clearPreviousOutput: boolean;
}

/** Reads the settings, with defaults for anything missing or of the wrong type. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('sandrun');
  const str = (key: string, def: string): string => {
    const v = c.get<unknown>(key);
    return typeof v === 'string' ? v.trim() : def;
  };
  const list = c.get<unknown>('runOnSave');
  return {
    path: str('path', 'sandrun') || 'sandrun',
    executor: str('executor', 'local') || 'local',
    tokenFile: expandHome(str('tokenFile', '')),
    tlsCA: expandHome(str('tlsCA', '')),
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
 * The command to start: a bare name is looked up on PATH by the system; "~/x" is expanded; a
 * relative path with a "/" is taken from the first workspace folder.
 */
export function resolveBinary(p: string, folder: string | undefined, home = os.homedir()): string {
  const e = expandHome(p, home);
  if (!e.includes('/') || path.isAbsolute(e) || folder === undefined) {
    return e;
  }
  return path.join(folder, e);
}
