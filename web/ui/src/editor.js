// The code editor: CodeMirror 6 with a swappable highlighter and theme.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { oneDark } from "@codemirror/theme-one-dark";

const light = EditorView.theme({
  "&": { backgroundColor: "var(--surface)", color: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface)", color: "var(--muted)", border: "none" },
  ".cm-activeLineGutter": { backgroundColor: "#eef1f6" },
  ".cm-activeLine": { backgroundColor: "#f3f6fb" },
});

// Editor is one CodeMirror view. Callbacks: onRun (Ctrl/Cmd+Enter), onChange(text) after a user edit.
export class Editor {
  constructor(parent, { onRun, onChange }) {
    this.mode = new Compartment();
    this.theme = new Compartment();
    this.indent = new Compartment();
    this.programmatic = false;
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: "",
        extensions: [
          // Ctrl/Cmd+Enter runs; higher precedence than basicSetup's "insert blank line".
          Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true) }])),
          basicSetup,
          // Tab indents; Escape then Tab moves focus out of the editor (CodeMirror's convention).
          keymap.of([indentWithTab]),
          this.mode.of([]),
          lintGutter(),
          this.theme.of(light),
          this.indent.of(indentUnit.of("    ")),
          EditorView.contentAttributes.of({ "aria-label": "Code", "aria-describedby": "hint" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !this.programmatic) onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
  }

  get text() {
    return this.view.state.doc.toString();
  }

  // setText replaces the whole document without counting as a user edit.
  setText(text) {
    this.programmatic = true;
    try {
      this.view.dispatch({
        changes: { from: 0, to: this.view.state.doc.length, insert: text },
        selection: { anchor: 0 },
        scrollIntoView: true,
      });
    } finally {
      this.programmatic = false;
    }
  }

  // showDiagnostics underlines a run's diagnostics (the Result's, 1-based lines and columns) and
  // marks their lines in the gutter; an empty list clears them.
  showDiagnostics(list) {
    const state = this.view.state;
    this.view.dispatch(setDiagnostics(state, (list || []).map((d) => toLint(state, d)).filter(Boolean)));
  }

  // goTo puts the cursor on a 1-based line and column (0: the line's first non-blank) and focuses.
  goTo(line, column = 0) {
    const doc = this.view.state.doc;
    if (!(line >= 1 && line <= doc.lines)) return;
    const l = doc.line(line);
    const pos = column > 0 ? Math.min(l.from + column - 1, l.to) : l.from + (/^\s*/.exec(l.text)[0].length);
    this.view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    this.view.focus();
  }

  setMode(ext, { tabs = false } = {}) {
    this.view.dispatch({
      effects: [this.mode.reconfigure(ext), this.indent.reconfigure(indentUnit.of(tabs ? "\t" : "    "))],
    });
  }

  setDark(dark) {
    this.view.dispatch({ effects: this.theme.reconfigure(dark ? oneDark : light) });
  }

  focus() {
    this.view.focus();
  }
}

// toLint turns one Result diagnostic into a CodeMirror lint Diagnostic: a point becomes the word
// there (or one character), and a diagnostic without a column covers its line's text.
export function toLint(state, d) {
  const doc = state.doc;
  if (!(d.line >= 1 && d.line <= doc.lines)) return null;
  const line = doc.line(d.line);
  const at = (l, c) => Math.min(l.from + Math.max(c - 1, 0), l.to);
  let from, to;
  if (!d.column) {
    from = line.from + /^\s*/.exec(line.text)[0].length;
    to = line.to;
  } else {
    from = at(line, d.column);
    const endLine = d.end_line >= d.line && d.end_line <= doc.lines ? doc.line(d.end_line) : line;
    to = Math.max(from, at(endLine, d.end_column || d.column));
    if (to === from) {
      const word = state.wordAt(from);
      to = word && word.from === from ? word.to : Math.min(from + 1, line.to);
    }
  }
  const severity = d.severity === "warning" ? "warning" : d.severity === "info" ? "info" : "error";
  return { from, to, severity, message: d.message, source: d.source };
}
