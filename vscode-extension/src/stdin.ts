// Where a run's standard input comes from, in this order: the text typed for "Run with Input…",
// a `<file>.stdin` (or `<stem>.stdin`) file next to the source, the `sandrun.stdin` setting.
// No vscode import: the caller passes the file reader, so the unit tests need no workspace.

/** The parts of a vscode.Uri this module uses. */
export interface UriLike {
  readonly scheme: string;
  readonly path: string;
  with(change: { path: string }): UriLike;
}

/** Reads a file; resolves to undefined when it does not exist. */
export type ReadFile = (uri: UriLike) => Promise<Uint8Array | undefined>;

/** The stdin for one run and where it came from (for the header). */
export interface Stdin {
  text: string;
  from: string;
}

/** The most stdin the extension sends: more is almost certainly a mistake (a log, a binary). */
export const maxStdinBytes = 16 << 20;

/** The `.stdin` files that may belong to a source file: `hello.py.stdin`, then `hello.stdin`. */
export function stdinCandidates(uri: UriLike): UriLike[] {
  if (uri.scheme === 'untitled') {
    return [];
  }
  const slash = uri.path.lastIndexOf('/');
  const base = uri.path.slice(slash + 1);
  if (base === '') {
    return [];
  }
  const out = [uri.with({ path: `${uri.path}.stdin` })];
  const dot = base.lastIndexOf('.');
  if (dot > 0) {
    out.push(uri.with({ path: `${uri.path.slice(0, slash + 1)}${base.slice(0, dot)}.stdin` }));
  }
  return out;
}

/**
 * Returns the stdin of a run of `uri`, or undefined for none. `explicit` (the input box) wins even
 * when empty; then the first `.stdin` file that exists; then `setting` when it is not empty.
 * Throws when a `.stdin` file is larger than maxStdinBytes.
 */
export async function resolveStdin(opts: {
  explicit?: string;
  uri: UriLike;
  setting: string;
  read: ReadFile;
}): Promise<Stdin | undefined> {
  if (opts.explicit !== undefined) {
    return { text: opts.explicit, from: 'input box' };
  }
  for (const c of stdinCandidates(opts.uri)) {
    const data = await opts.read(c);
    if (data === undefined) {
      continue;
    }
    const name = c.path.slice(c.path.lastIndexOf('/') + 1);
    if (data.byteLength > maxStdinBytes) {
      throw new Error(
        `${name} is ${Math.ceil(data.byteLength / (1 << 20))} MiB; Sandrun sends at most ${maxStdinBytes >> 20} MiB of stdin`,
      );
    }
    return { text: new TextDecoder('utf-8').decode(data), from: name };
  }
  if (opts.setting !== '') {
    return { text: opts.setting, from: 'sandrun.stdin setting' };
  }
  return undefined;
}

/**
 * Turns what was typed in the one-line input box into stdin: `\n` becomes a new line, `\t` a tab,
 * `\\` a backslash, and a final new line is added (programs read lines) unless the text is empty.
 */
export function inputBoxToStdin(typed: string): string {
  const text = typed.replace(/\\(n|t|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** The inverse of inputBoxToStdin, to show the last input again in the box. */
export function stdinToInputBox(stdin: string): string {
  const body = stdin.endsWith('\n') ? stdin.slice(0, -1) : stdin;
  return body.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
