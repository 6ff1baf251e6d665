// Building the argument of `sandrun.run` from an editor: the selection, else the whole buffer,
// always with the buffer's current (possibly unsaved) text, so nothing is read from disk and no
// temporary file is ever written next to the user's code.
import type { Position, Range, RunArgs } from './protocol';

/** The parts of a vscode.TextEditor that a run needs. */
export interface EditorLike {
  readonly document: {
    readonly uri: { toString(): string };
    readonly languageId: string;
    getText(range?: { start: Position; end: Position }): string;
  };
  readonly selection: { readonly isEmpty: boolean; readonly start: Position; readonly end: Position };
}

/**
 * Returns the `sandrun.run` argument for the editor. A selection that is empty or only white space
 * runs the whole buffer (no `range`). The server dedents a selection where the language needs it.
 */
export function buildRunArgs(editor: EditorLike, opts: { stdin?: string; args?: string[]; interactive?: boolean } = {}): RunArgs {
  const doc = editor.document;
  const out: RunArgs = {
    uri: doc.uri.toString(),
    languageId: doc.languageId,
    text: doc.getText(),
  };
  const sel = editor.selection;
  if (!sel.isEmpty && doc.getText(sel).trim() !== '') {
    out.range = toRange(sel);
  }
  if (opts.stdin !== undefined) {
    out.stdin = opts.stdin;
  }
  if (opts.args !== undefined && opts.args.length > 0) {
    out.args = opts.args;
  }
  if (opts.interactive) {
    out.interactive = true;
  }
  return out;
}

/** A plain JSON range (vscode.Range serialises with extra fields and getters). */
function toRange(r: { start: Position; end: Position }): Range {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}
