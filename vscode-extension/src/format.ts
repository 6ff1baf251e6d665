// Text the Sandrun output panel and status bar show. Pure functions: no vscode import, so the unit
// tests run them as they are.
import type { LanguageInfo, Range, Result } from './protocol';

/** Formats milliseconds: "12 ms" below a second, "1.25 s" above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '? ms';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(2) : s < 100 ? s.toFixed(1) : Math.round(s).toString()} s`;
}

/** Formats a size in KiB: "512 KiB", "8.1 MiB", "1.5 GiB". */
export function formatKiB(kib: number): string {
  if (!Number.isFinite(kib) || kib < 0) {
    return '? KiB';
  }
  if (kib < 1024) {
    return `${Math.round(kib)} KiB`;
  }
  const mib = kib / 1024;
  if (mib < 1024) {
    return `${mib.toFixed(1)} MiB`;
  }
  return `${(mib / 1024).toFixed(1)} GiB`;
}

/**
 * The status line after a run, e.g. "[ok] exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB". A
 * signal replaces the exit code ("[signaled] SIGSEGV · …").
 */
export function footer(r: Result): string {
  const how = r.signal ? r.signal : `exit ${r.exit_code}`;
  return `[${r.status}] ${how} · cpu ${formatMs(r.cpu_time_ms)} · wall ${formatMs(r.wall_time_ms)} · mem ${formatKiB(r.memory_kib)}`;
}

/** Lines that explain a result that is not ok, or truncated output; empty when there is nothing to say. */
export function notes(r: Result): string[] {
  const out: string[] = [];
  if (r.status !== 'ok' && r.message) {
    out.push(r.message);
  }
  if (r.stdout_truncated) {
    out.push('stdout was cut at the output limit.');
  }
  if (r.stderr_truncated) {
    out.push('stderr was cut at the output limit.');
  }
  return out;
}

/**
 * Why a run was stopped, as the line after "[stopped]" says it: nothing when the user stopped it
 * (Sandrun: Stop, Cancel, Ctrl-C, closing the terminal reach the server as $/cancelRequest,
 * sandrun.stop or window/workDoneProgress/cancel, whose names mean nothing to the user), else the
 * server's reason ("a newer run of the same document started").
 */
export function stopReason(error?: string): string | undefined {
  if (!error || /\$\/cancelRequest|\bsandrun\.stop\b|workDoneProgress\/cancel/.test(error)) {
    return undefined;
  }
  return error.replace(/^stopped: /, '');
}

/** What the header says about one run. */
export interface HeaderInfo {
  /** The language's name or id, e.g. "Python" or "python". */
  language: string;
  /** The toolchain version, "" when unknown. */
  version?: string;
  /** "local" or "tcp://host:port". */
  executor: string;
  /** The file's name (not its path). */
  file: string;
  /** The selection that runs; absent: the whole buffer. */
  range?: Range;
  /** Where stdin came from, e.g. "input box" or "hello.py.stdin"; absent: none. */
  stdinFrom?: string;
  /** "run on save" for runs the server started in watch mode. */
  trigger?: string;
}

/** The header line before a run's output, e.g. "▶ Python 3.11.2 · local · hello.py (lines 3–5)". */
export function header(h: HeaderInfo): string {
  const lang = h.version ? `${h.language} ${h.version}` : h.language;
  let file = h.file;
  if (h.range) {
    file += ` (${describeRange(h.range)})`;
  }
  const parts = [lang, h.executor, file];
  if (h.stdinFrom) {
    parts.push(`stdin: ${h.stdinFrom}`);
  }
  if (h.trigger) {
    parts.push(h.trigger);
  }
  return `▶ ${parts.join(' · ')}`;
}

/** "line 4" or "lines 3–5" (one-based); a selection ending at column 0 does not count that line. */
export function describeRange(r: Range): string {
  const first = r.start.line + 1;
  let last = r.end.line + 1;
  if (r.end.character === 0 && r.end.line > r.start.line) {
    last--;
  }
  return first === last ? `line ${first}` : `lines ${first}–${last}`;
}

/** The language to name in a header: the server's entry for this VS Code language id, if any. */
export function findLanguage(langs: readonly LanguageInfo[], languageId: string): LanguageInfo | undefined {
  const id = languageId.toLowerCase();
  return (
    langs.find((l) => l.vscode_id === id) ??
    langs.find((l) => l.id === id) ??
    langs.find((l) => (l.aliases ?? []).includes(id))
  );
}

/** The short status-bar text for a finished run, e.g. "ok · 30 ms" or "runtime_error (exit 1)". */
export function statusText(r: Result): string {
  if (r.status === 'ok') {
    return `ok · ${formatMs(r.wall_time_ms)}`;
  }
  if (r.signal) {
    return `${r.status} (${r.signal})`;
  }
  if (r.status === 'runtime_error') {
    return `${r.status} (exit ${r.exit_code})`;
  }
  return r.status;
}

/** A codicon for a status: check for ok, a clock for limits, an error mark otherwise. */
export function statusIcon(status: string): string {
  switch (status) {
    case 'ok':
      return '$(check)';
    case 'time_limit':
      return '$(watch)';
    case 'memory_limit':
    case 'output_limit':
      return '$(warning)';
    default:
      return '$(error)';
  }
}
