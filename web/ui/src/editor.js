// The code editor: CodeMirror 6 with a swappable highlighter and theme.
import { basicSetup } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
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
