// Syntax highlighting per language. Each highlighter is loaded on first use (esbuild puts every
// dynamic import in its own chunk), so the page loads only CodeMirror's core up front.
import { StreamLanguage } from "@codemirror/language";

const legacy = (load) => () => load().then((mode) => StreamLanguage.define(mode));

const cpp = () => import("@codemirror/lang-cpp").then((m) => m.cpp());
const javascript = (opts) => () => import("@codemirror/lang-javascript").then((m) => m.javascript(opts));
const shell = legacy(() => import("@codemirror/legacy-modes/mode/shell").then((m) => m.shell));
const clike = (name) => legacy(() => import("@codemirror/legacy-modes/mode/clike").then((m) => m[name]));
const scheme = legacy(() => import("@codemirror/legacy-modes/mode/scheme").then((m) => m.scheme));
const mllike = (name) => legacy(() => import("@codemirror/legacy-modes/mode/mllike").then((m) => m[name]));

// Keys are sandrun ids, VS Code language ids, aliases or extensions without the dot.
export const loaders = {
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: javascript({}),
  js: javascript({}),
  node: javascript({}),
  typescript: javascript({ typescript: true }),
  ts: javascript({ typescript: true }),
  c: cpp,
  cpp,
  "c++": cpp,
  "objective-c": cpp,
  java: () => import("@codemirror/lang-java").then((m) => m.java()),
  go: () => import("@codemirror/lang-go").then((m) => m.go()),
  rust: () => import("@codemirror/lang-rust").then((m) => m.rust()),
  php: () => import("@codemirror/lang-php").then((m) => m.php()),
  sql: () => import("@codemirror/lang-sql").then((m) => m.sql()),
  sqlite: () => import("@codemirror/lang-sql").then((m) => m.sql({ dialect: m.SQLite })),
  sqlite3: () => import("@codemirror/lang-sql").then((m) => m.sql({ dialect: m.SQLite })),
  ruby: legacy(() => import("@codemirror/legacy-modes/mode/ruby").then((m) => m.ruby)),
  shellscript: shell,
  bash: shell,
  sh: shell,
  lua: legacy(() => import("@codemirror/legacy-modes/mode/lua").then((m) => m.lua)),
  perl: legacy(() => import("@codemirror/legacy-modes/mode/perl").then((m) => m.perl)),
  haskell: legacy(() => import("@codemirror/legacy-modes/mode/haskell").then((m) => m.haskell)),
  kotlin: clike("kotlin"),
  csharp: clike("csharp"),
  scala: clike("scala"),
  dart: clike("dart"),
  swift: legacy(() => import("@codemirror/legacy-modes/mode/swift").then((m) => m.swift)),
  r: legacy(() => import("@codemirror/legacy-modes/mode/r").then((m) => m.r)),
  clojure: legacy(() => import("@codemirror/legacy-modes/mode/clojure").then((m) => m.clojure)),
  zsh: shell,
  fish: shell,
  emacslisp: legacy(() => import("@codemirror/legacy-modes/mode/commonlisp").then((m) => m.commonLisp)),
  picolisp: legacy(() => import("@codemirror/legacy-modes/mode/commonlisp").then((m) => m.commonLisp)),
  livescript: legacy(() => import("@codemirror/legacy-modes/mode/livescript").then((m) => m.liveScript)),
  verilog: legacy(() => import("@codemirror/legacy-modes/mode/verilog").then((m) => m.verilog)),
  haxe: legacy(() => import("@codemirror/legacy-modes/mode/haxe").then((m) => m.haxe)),
  basic: legacy(() => import("@codemirror/legacy-modes/mode/vb").then((m) => m.vb)),
  lisp: legacy(() => import("@codemirror/legacy-modes/mode/commonlisp").then((m) => m.commonLisp)),
  commonlisp: legacy(() => import("@codemirror/legacy-modes/mode/commonlisp").then((m) => m.commonLisp)),
  scheme,
  racket: scheme,
  erlang: legacy(() => import("@codemirror/legacy-modes/mode/erlang").then((m) => m.erlang)),
  julia: legacy(() => import("@codemirror/legacy-modes/mode/julia").then((m) => m.julia)),
  pascal: legacy(() => import("@codemirror/legacy-modes/mode/pascal").then((m) => m.pascal)),
  fortran: legacy(() => import("@codemirror/legacy-modes/mode/fortran").then((m) => m.fortran)),
  d: legacy(() => import("@codemirror/legacy-modes/mode/d").then((m) => m.d)),
  crystal: legacy(() => import("@codemirror/legacy-modes/mode/crystal").then((m) => m.crystal)),
  groovy: legacy(() => import("@codemirror/legacy-modes/mode/groovy").then((m) => m.groovy)),
  powershell: legacy(() => import("@codemirror/legacy-modes/mode/powershell").then((m) => m.powerShell)),
  coffeescript: legacy(() => import("@codemirror/legacy-modes/mode/coffeescript").then((m) => m.coffeeScript)),
  ocaml: mllike("oCaml"),
  fsharp: mllike("fSharp"),
  tcl: legacy(() => import("@codemirror/legacy-modes/mode/tcl").then((m) => m.tcl)),
  cobol: legacy(() => import("@codemirror/legacy-modes/mode/cobol").then((m) => m.cobol)),
  brainfuck: legacy(() => import("@codemirror/legacy-modes/mode/brainfuck").then((m) => m.brainfuck)),
  octave: legacy(() => import("@codemirror/legacy-modes/mode/octave").then((m) => m.octave)),
  elm: legacy(() => import("@codemirror/legacy-modes/mode/elm").then((m) => m.elm)),
  vb: legacy(() => import("@codemirror/legacy-modes/mode/vb").then((m) => m.vb)),
  sml: mllike("sml"),
  forth: legacy(() => import("@codemirror/legacy-modes/mode/forth").then((m) => m.forth)),
  gas: legacy(() => import("@codemirror/legacy-modes/mode/gas").then((m) => m.gas)),
  // Close relatives, better than plain text.
  raku: legacy(() => import("@codemirror/legacy-modes/mode/perl").then((m) => m.perl)),
  elixir: legacy(() => import("@codemirror/legacy-modes/mode/ruby").then((m) => m.ruby)),
  vala: clike("csharp"),
};

// byExtension names the table key for file extensions that differ from every key.
const byExtension = {
  py: "python", mjs: "javascript", cjs: "javascript", mts: "typescript", cts: "typescript",
  h: "c", cc: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp", rs: "rust", rb: "ruby", kt: "kotlin",
  kts: "kotlin", cs: "csharp", hs: "haskell", pl: "perl", pm: "perl", ml: "ocaml", fs: "fsharp",
  fsx: "fsharp", jl: "julia", clj: "clojure", scm: "scheme", rkt: "racket", f90: "fortran",
  pas: "pascal", cr: "crystal", coffee: "coffeescript", ex: "elixir", exs: "elixir", bash: "bash",
};

// modeKey picks the table key for a language from /api/v1/languages, or "" for plain text.
export function modeKey(lang) {
  const exts = (lang.extensions || []).map((e) => e.replace(/^\./, "").toLowerCase());
  const keys = [lang.id, lang.vscode_id, ...(lang.aliases || []), ...exts, ...exts.map((e) => byExtension[e])];
  for (const k of keys) {
    if (k && Object.hasOwn(loaders, k.toLowerCase())) return k.toLowerCase();
  }
  return "";
}

const cache = new Map();

// loadMode resolves to a CodeMirror extension that highlights lang, or [] when none fits or the
// chunk failed to load (the editor then shows plain text, which is still usable).
export function loadMode(lang) {
  const key = modeKey(lang);
  if (!key) return Promise.resolve([]);
  if (!cache.has(key)) {
    cache.set(
      key,
      loaders[key]().catch(() => {
        cache.delete(key);
        return [];
      }),
    );
  }
  return cache.get(key);
}
