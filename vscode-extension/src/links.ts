// Links in the Sandrun output panel: a compiler's or a traceback's reference to the file that ran
// ("main.c:5:13", 'File "/work/main.py", line 2', "Main.java:3", "main.pas(5,8)") opens that
// document at that line and column. Squiggles and the Problems panel come from the language
// server's publishDiagnostics, not from here.
import * as vscode from 'vscode';

/** One reference found in the panel's text; line and column are 1-based (column 0: none). */
export interface FoundLink {
  readonly offset: number;
  readonly length: number;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A regexp-safe copy of s. */
function quote(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds the references to `files` (names as they ran in the sandbox) in `text`. */
export function findLinks(text: string, files: readonly string[]): FoundLink[] {
  if (files.length === 0) {
    return [];
  }
  const names = files.map(quote).join('|');
  const re = new RegExp(
    `(?<![\\w./-])(?:/work/|\\./)?(${names})(?::(\\d+)(?::(\\d+))?|\\((\\d+)(?:, ?(\\d+))?\\)|", line (\\d+)| line (\\d+))`,
    'g',
  );
  const out: FoundLink[] = [];
  for (const m of text.matchAll(re)) {
    const line = Number(m[2] || m[4] || m[6] || m[7]);
    if (!(line >= 1)) {
      continue;
    }
    out.push({ offset: m.index ?? 0, length: m[0].length, file: m[1], line, column: Number(m[3] || m[5] || 0) });
  }
  return out;
}

/** Where a run's source sits: its document and, for a selection, the line (0-based) it starts on. */
interface Ran {
  readonly uri: string;
  readonly firstLine: number;
}

/**
 * OutputLinks links references in the Sandrun output panel to the documents that ran. It learns
 * which file name each document runs as from sandrun/start.
 */
export class OutputLinks implements vscode.DocumentLinkProvider {
  /** By the name the source ran as ("main.c", "hello.py"); the newest run wins. */
  private readonly ran = new Map<string, Ran>();
  /** The first line of the selection the extension last sent, by document. */
  private readonly selections = new Map<string, number>();

  /** Records that the extension is running `uri` from line `firstLine` (0-based; 0 for the whole buffer). */
  sent(uri: string, firstLine: number): void {
    this.selections.set(uri, firstLine);
  }

  /** Handles sandrun/start: `file` is the name the document's source runs as. */
  started(p: { uri: string; file?: string; selection?: boolean }): void {
    if (p.file) {
      this.ran.set(p.file, { uri: p.uri, firstLine: p.selection ? (this.selections.get(p.uri) ?? 0) : 0 });
    }
  }

  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    if (doc.uri.scheme !== 'output' || this.ran.size === 0) {
      return [];
    }
    const text = doc.getText();
    return findLinks(text, [...this.ran.keys()]).map((l) => {
      const ran = this.ran.get(l.file)!;
      const line = ran.firstLine + l.line;
      const target = vscode.Uri.parse(ran.uri).with({ fragment: l.column > 0 ? `L${line},${l.column}` : `L${line}` });
      const link = new vscode.DocumentLink(new vscode.Range(doc.positionAt(l.offset), doc.positionAt(l.offset + l.length)), target);
      link.tooltip = `Go to line ${line} of ${l.file}`;
      return link;
    });
  }
}
