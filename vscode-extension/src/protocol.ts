// Wire types of `sandrun lsp` (docs/architecture.md, "LSP"; docs/lsp.md). The server owns these
// names; testdata/lsp-protocol.json lists them as the Go types have them, and
// test/protocol.test.ts checks this file against it. The extension's own command ids
// (sandrun.runSnippet, …) must never collide with them, because the language client registers
// the server's commands in VS Code itself.

/** Commands the server advertises in executeCommandProvider. */
export const ServerCommand = {
  run: 'sandrun.run',
  watch: 'sandrun.watch',
  stop: 'sandrun.stop',
  languages: 'sandrun.languages',
  stdin: 'sandrun.stdin',
} as const;

/** Notifications the server sends while and after a program runs. */
export const Notification = {
  /** Sent by servers that announce a run before its output (optional: headers fall back to local data). */
  start: 'sandrun/start',
  output: 'sandrun/output',
  result: 'sandrun/result',
} as const;

/** A zero-based LSP position; character counts UTF-16 code units. */
export interface Position {
  line: number;
  character: number;
}

/** An LSP range, end exclusive. */
export interface Range {
  start: Position;
  end: Position;
}

/** The one argument of `sandrun.run`. */
export interface RunArgs {
  uri: string;
  languageId?: string;
  /** The buffer's current text, saved or not: the server never reads a stale file on disk. */
  text?: string;
  /** The selection to run, in `text` (or the open buffer); absent: the whole buffer. */
  range?: Range;
  stdin?: string;
  args?: string[];
  /** Keep the program's stdin open while it runs, fed by `sandrun.stdin`. */
  interactive?: boolean;
  /** Give stdout and stderr their own descriptors (default: one for both, in written order). */
  separateStreams?: boolean;
}

/** The one argument of `sandrun.stdin`: input for the run runId, else for the run of uri. */
export interface StdinArgs {
  runId?: string;
  uri?: string;
  data: string;
  /** End the program's stdin after data (Ctrl-D). */
  eof?: boolean;
}

/** What `sandrun.stdin` answers: the run that took the input, and the bytes it has not read yet. */
export interface StdinReply {
  runId: string;
  backlog: number;
}

/** The one argument of `sandrun.watch`. stdin, args and languageId are extra hints a server may ignore. */
export interface WatchArgs {
  uri: string;
  enabled: boolean;
  languageId?: string;
  stdin?: string;
  args?: string[];
}

/** What `sandrun.watch` answers; onDisk: changes made outside the editor are watched too. */
export interface WatchReply {
  uri: string;
  enabled: boolean;
  onDisk: boolean;
}

/** The one argument of `sandrun.stop`: stops the runs of that document (every run if absent). */
export interface StopArgs {
  uri?: string;
}

/** A run's outcome class (docs/architecture.md, "Result"). */
export type Status =
  | 'ok'
  | 'runtime_error'
  | 'signaled'
  | 'time_limit'
  | 'memory_limit'
  | 'output_limit'
  | 'compile_error'
  | 'internal_error';

/** The Result JSON of docs/architecture.md. */
export interface Result {
  language: string;
  version: string;
  status: Status | string;
  exit_code: number;
  signal?: string;
  stdout: string;
  stderr: string;
  stdout_truncated?: boolean;
  stderr_truncated?: boolean;
  cpu_time_ms: number;
  wall_time_ms: number;
  memory_kib: number;
  message?: string;
  compile?: Result | null;
  cached?: boolean;
  /** Problems parsed from the compiler's and the runtime's messages (1-based lines and columns). */
  diagnostics?: ResultDiagnostic[] | null;
}

/** One entry of Result.diagnostics; the server also publishes them as LSP diagnostics. */
export interface ResultDiagnostic {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  severity: 'error' | 'warning' | 'info' | string;
  message: string;
  source: string;
}

/** What `sandrun.run` answers. runId may be a number or a string: it is only compared. */
export interface RunReply {
  runId: string | number;
  result: Result;
}

/** `sandrun/start`: a run began (every field but runId and uri may be missing). */
export interface StartParams {
  runId: string | number;
  uri: string;
  /** sandrun's language id, e.g. "python". */
  language?: string;
  /** e.g. "Python". */
  languageName?: string;
  version?: string;
  /** "local" or "tcp://host:port". */
  executor?: string;
  /** The name the source runs as. */
  file?: string;
  /** "command" (sandrun.run), "save" or "disk" (watch mode). */
  trigger?: string;
  selection?: boolean;
  /** The run takes `sandrun.stdin` while it goes. */
  interactive?: boolean;
}

/** `sandrun/output`: one chunk of a running program's output. */
export interface OutputParams {
  runId: string | number;
  uri: string;
  /** "stdout" or "stderr". */
  stream: string;
  /** "compile" or "run", when the server says. */
  stage?: string;
  data: string;
}

/** `sandrun/result`: a run ended (also runs started by the server in watch mode). */
export interface ResultParams {
  runId: string | number;
  uri: string;
  /** null when the run produced no result: error says why, cancelled whether it was stopped. */
  result: Result | null;
  error?: string;
  cancelled?: boolean;
}

/** One entry of `sandrun.languages` (executor.LanguageInfo). */
export interface LanguageInfo {
  id: string;
  name: string;
  version: string;
  aliases?: string[];
  extensions?: string[];
  vscode_id?: string;
  compiled?: boolean;
  available: boolean;
  missing?: string;
}

/**
 * The settings the server reads, from initializationOptions and, on change, from
 * workspace/didChangeConfiguration as `{settings: {sandrun: ServerSettings}}`.
 */
export interface ServerSettings {
  executor: string;
  tokenFile: string;
  tlsCA: string;
  timeLimit: string;
  memoryLimit: string;
  runOnSave: string[];
  stdin: string;
  /** The runtime per language id: {"javascript": "bun", "c": "clang"}. */
  runtime: Record<string, string>;
}
