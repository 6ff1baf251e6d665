// The page: wires the editor, the language picker, input, Run/Stop, output and status together.
import { fetchLanguages, jobKept, startRun, submitJob, waitJob } from "./api.js";
import { Editor } from "./editor.js";
import { loadMode } from "./modes.js";
import { Output, Status } from "./output.js";
import { parseFragment, reuseRun, shareFragment } from "./share.js";
import * as store from "./store.js";
import { splitWords } from "./words.js";

const $ = (id) => document.getElementById(id);
const ui = {
  select: $("language"),
  example: $("example"),
  share: $("share"),
  shareResult: $("share-result"),
  shareNote: $("share-note"),
  theme: $("theme"),
  notice: $("notice"),
  hint: $("hint"),
  stdin: $("stdin"),
  args: $("args"),
  run: $("run"),
  stop: $("stop"),
  clear: $("clear"),
  interactive: $("interactive"),
  send: $("send"),
  sendLine: $("send-line"),
  sendEOF: $("send-eof"),
  console: document.querySelector(".console"),
};
const output = new Output($("output"));
const status = new Status($("status"));
const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

let langs = new Map(); // id -> language info from /api/v1/languages
let current = ""; // selected language id
let currentRuntime = ""; // its runtime when not the language's default ("bun"), else ""
let dirty = false; // the user edited the code since it was last loaded
let fromLink = false; // the code came from a share link that the URL still holds
let running = null; // the run in flight, with stop()
let saveTimer = 0;
let shown = 0; // counts runs and shared results shown, so that a late answer does not overwrite
// lastRun is the run the user last watched (reuseRun in share.js): what it ran, and its job when
// the server kept it, so that Share with the result names that run instead of making a new one.
let lastRun = null;

const editor = new Editor($("editor"), { onRun: run, onChange: edited });

// notice shows a line under the bar; about names what it is about, so that clearing the
// language's notice leaves a broken share link's in place.
function notice(text, about = "language") {
  if (!text && ui.notice.dataset.about !== about) return;
  ui.notice.textContent = text;
  ui.notice.dataset.about = about;
  ui.notice.hidden = !text;
}

// --- theme ---------------------------------------------------------------------------------

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  editor.setDark(theme === "dark");
  const other = theme === "dark" ? "light" : "dark";
  ui.theme.setAttribute("aria-label", `Switch to ${other} theme`);
  ui.theme.title = `Switch to ${other} theme`;
}

ui.theme.addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  store.save("theme", next);
  applyTheme(next);
});
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", (e) => {
  if (!store.load("theme")) applyTheme(e.matches ? "dark" : "light");
});
applyTheme(document.documentElement.dataset.theme === "dark" ? "dark" : "light");

// --- code, kept per language ---------------------------------------------------------------

function hello(id) {
  return langs.get(id)?.hello || "";
}

function storedCode(id) {
  return store.load("code." + id);
}

function edited() {
  dirty = true;
  shareNote("");
  if (fromLink) {
    // The code no longer is what the link says: drop the fragment so a reload keeps the edits.
    fromLink = false;
    history.replaceState(null, "", location.pathname + location.search);
  }
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveCode, 300);
}

function saveCode() {
  clearTimeout(saveTimer);
  if (!current) return;
  const text = editor.text;
  store.save("code." + current, text === hello(current) ? null : text);
}

function loadCode(text) {
  editor.setText(text);
  dirty = false;
}

// --- languages -----------------------------------------------------------------------------

function lookup(name) {
  if (!name) return null;
  const n = name.toLowerCase();
  if (langs.has(n)) return langs.get(n);
  for (const l of langs.values()) if ((l.aliases || []).some((a) => a.toLowerCase() === n)) return l;
  return null;
}

function fillPicker(list) {
  const groups = [
    ["Installed", list.filter((l) => l.available)],
    ["Not installed on this server", list.filter((l) => !l.available)],
  ];
  const nodes = [];
  for (const [label, items] of groups) {
    if (!items.length) continue;
    const g = document.createElement("optgroup");
    g.label = label;
    for (const l of items) {
      if (l.available && (l.runtimes || []).length > 1) {
        // One entry per installed runtime: "JavaScript — Bun 1.4.5"; value "javascript/bun".
        const base = l.name.replace(/ \([^)]*\)$/, "");
        for (const rt of l.runtimes.filter((r) => r.available)) {
          const value = rt.runtime === l.runtime ? l.id : `${l.id}/${rt.runtime}`;
          g.appendChild(new Option(`${base} — ${rt.name} ${rt.version}`.trim(), value));
        }
        continue;
      }
      const o = document.createElement("option");
      o.value = l.id;
      o.textContent = l.available ? `${l.name} ${l.version}`.trim() : `${l.name} — ${l.missing || "not installed"}`;
      o.disabled = !l.available;
      if (!l.available) o.title = l.missing || "";
      g.appendChild(o);
    }
    nodes.push(g);
  }
  ui.select.replaceChildren(...nodes);
  ui.select.disabled = false;
}

// selectLanguage makes value current: a language id, or "id/runtime" for one of its other
// runtimes. Unless the user has edited the code, the editor shows that language's saved code
// (shared by its runtimes), else its hello-world example.
function selectLanguage(value, { keepCode = dirty } = {}) {
  const [id, rt = ""] = value.split("/");
  if (current) saveCode();
  current = id;
  currentRuntime = rt;
  const lang = langs.get(id);
  ui.select.value = value;
  document.title = `${lang.name} — sandrun`;
  store.save("lang", value);
  if (!keepCode) loadCode(storedCode(id) ?? hello(id));
  else if (dirty) saveCode();
  loadMode(lang).then((ext) => {
    if (current === id) editor.setMode(ext, { tabs: ["go"].includes(lang.id) });
  });
  ui.run.disabled = !!running || !lang.available;
  ui.example.disabled = !lang.hello;
  if (!lang.available) notice(`${lang.name} is not installed on this server. ${lang.missing || ""}`.trim());
  else notice("");
}

ui.select.addEventListener("change", () => selectLanguage(ui.select.value));
ui.example.addEventListener("click", () => {
  loadCode(hello(current));
  saveCode();
  editor.focus();
});

// --- share links ---------------------------------------------------------------------------

// applyLink loads the snippet in the URL fragment, if any. It reports whether it did.
function applyLink() {
  let snip;
  try {
    snip = parseFragment(location.hash);
  } catch (e) {
    notice(e.message, "link");
    return false;
  }
  if (!snip) return false;
  if (!snip.lang && !snip.code && snip.job) {
    // Only a shared result: show it under whatever code the page holds.
    notice("", "link");
    showJob(snip.job);
    return false;
  }
  const lang = lookup(snip.lang);
  if (!lang) {
    notice(`The shared link asks for the language "${snip.lang}", which this server does not know.`, "link");
    return false;
  }
  notice("", "link");
  selectLanguage(lang.id, { keepCode: true });
  loadCode(snip.code);
  ui.stdin.value = snip.stdin;
  ui.args.value = snip.args;
  fromLink = true;
  if (snip.job) showJob(snip.job, snapshot(snip.stdin, snip.args));
  return true;
}

// showJob shows the result of the shared run job id in the output pane, waiting for it to end.
// ran, when given, is what that run ran (the link's snippet): it becomes the last run watched.
async function showJob(id, ran) {
  if (running) return;
  const mine = ++shown;
  output.clear();
  editor.showDiagnostics([]);
  status.running();
  let job;
  try {
    job = await waitJob(id);
  } catch (e) {
    job = { error: `Could not fetch the shared run: ${e.message}` };
  }
  if (mine !== shown) return; // a run started meanwhile
  if (!job) {
    output.note(`The shared run ${id} is no longer kept by this server (runs are kept for a while after they end). Run shows a fresh result.`, true);
    status.idle();
  } else if (job.result) {
    output.note(`The result of the shared run ${id}:`);
    output.showResult(job.result);
    status.result(job.result);
    if (ran) lastRun = { ...ran, kept: true, finished: true, job: id };
  } else {
    output.note(job.error || "The shared run has no result.", true);
    status.error();
  }
}

window.addEventListener("hashchange", () => {
  if (langs.size) applyLink();
});

// snapshot is what a run of the page's snippet runs now, as reuseRun compares it.
function snapshot(stdin = ui.stdin.value, args = ui.args.value) {
  return { lang: current, runtime: currentRuntime, code: editor.text, stdin, args };
}

// shareNote says, beside Share, which run the link shows ("" hides it).
function shareNote(text) {
  ui.shareNote.textContent = text;
  ui.shareNote.hidden = !text;
}

ui.share.addEventListener("click", async () => {
  const snip = { lang: current, code: editor.text, stdin: ui.stdin.value, args: ui.args.value };
  shareNote("");
  if (ui.shareResult.checked) {
    // With the result: the link names the run the user last watched when it ran exactly this
    // and the server still keeps it; else a new run of the snippet as a job. Whoever opens the
    // link sees that job's result (for as long as the server keeps it).
    let { job, reason } = reuseRun(lastRun, snapshot());
    if (job) {
      try {
        if (!(await jobKept(job))) [job, reason] = ["", "the server no longer keeps the last run"];
      } catch (e) {
        [job, reason] = ["", `the last run could not be looked up (${e.message})`];
      }
    }
    if (job) {
      snip.job = job;
      shareNote("Shares the run you last watched.");
    } else {
      try {
        snip.job = await submitJob(runRequest());
      } catch (e) {
        notice(`Could not share the result: ${e.message}`, "link");
        flash(ui.share, "Not shared");
        return;
      }
      shareNote(`Shares a new run: ${reason}.`);
      showJob(snip.job, snapshot());
    }
    notice("", "link");
  }
  const frag = shareFragment(snip);
  history.replaceState(null, "", frag);
  fromLink = true;
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    flash(ui.share, "Link copied");
  } catch {
    // No clipboard (plain http on another host): the link is in the address bar.
    flash(ui.share, "Link in address bar");
  }
});

function flash(button, text) {
  const old = button.dataset.label || button.textContent;
  button.dataset.label = old;
  button.textContent = text;
  setTimeout(() => (button.textContent = old), 1800);
}

// --- input fields --------------------------------------------------------------------------

ui.stdin.value = store.load("stdin") || "";
ui.args.value = store.load("args") || "";
ui.stdin.addEventListener("input", () => {
  store.save("stdin", ui.stdin.value || null);
  shareNote("");
});
ui.args.addEventListener("input", () => {
  store.save("args", ui.args.value || null);
  shareNote("");
});
ui.shareResult.checked = store.load("shareResult") === "1";
ui.shareResult.addEventListener("change", () => {
  store.save("shareResult", ui.shareResult.checked ? "1" : null);
  shareNote("");
});
ui.interactive.checked = store.load("interactive") === "1";
ui.interactive.addEventListener("change", () => store.save("interactive", ui.interactive.checked ? "1" : null));

// --- running -------------------------------------------------------------------------------

// runRequest is the request of a run of what the page holds; args, when given, are the
// arguments already split (else splitting them may throw).
function runRequest(args = splitWords(ui.args.value)) {
  // merge_output: the program gets one descriptor for stdout and stderr, so the pane shows
  // exactly the order it wrote (stderr is then not told apart).
  const req = { language: current, source: editor.text, stdin: ui.stdin.value, args, merge_output: true };
  if (currentRuntime) req.runtime = currentRuntime;
  return req;
}

function run() {
  if (running || !current || ui.run.disabled) return;
  // A new run starts from a clean slate: the last run's output and its lint markers go, even
  // when this run cannot start (the editor's markers would otherwise describe another run).
  output.clear();
  editor.showDiagnostics([]);
  let args;
  try {
    args = splitWords(ui.args.value);
  } catch (e) {
    status.error();
    output.note(e.message, true);
    return;
  }
  saveCode();
  shown++;
  status.running();
  setRunning(true);
  showConsole();
  const req = runRequest(args);
  const interactive = ui.interactive.checked;
  // With "with result" ticked the server keeps the run as a job, so that Share can name it.
  const keep = ui.shareResult.checked && !interactive;
  const ran = { ...snapshot(), interactive, kept: keep, running: true, finished: false, job: "" };
  lastRun = ran;
  running = startRun(req, {
    interactive,
    keep,
    onEvent: (stage, stream, text) => output.append(stage, stream, text),
    onNotice: (msg) => output.note(msg, true),
    onResult: (r, job) => {
      Object.assign(ran, { running: false, finished: true, job });
      setRunning(false);
      output.showResult(r);
      const diags = r.diagnostics || [];
      editor.showDiagnostics(diags);
      output.linkLocations([...new Set(diags.map((d) => d.file))], (line, column) => editor.goTo(line, column));
      status.result(r);
    },
    onError: (msg) => {
      ran.running = false;
      setRunning(false);
      output.note(msg, true);
      status.error();
    },
  });
  if (interactive) {
    ui.send.hidden = false;
    ui.sendLine.disabled = ui.sendEOF.disabled = false;
    ui.sendLine.focus();
  }
}

// Live input: each line typed under the output goes to the running program's stdin.
ui.send.addEventListener("submit", (e) => {
  e.preventDefault();
  const line = ui.sendLine.value + "\n";
  if (running?.send(line)) {
    output.append("run", "stdin", line);
    ui.sendLine.value = "";
  }
});
function endInput() {
  if (running?.send("", true)) {
    ui.sendLine.disabled = ui.sendEOF.disabled = true;
    output.note("Input ended.");
  }
}
ui.sendEOF.addEventListener("click", endInput);
ui.sendLine.addEventListener("keydown", (e) => {
  if (e.key === "d" && e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    endInput();
  }
});

function stop() {
  if (!running) return;
  running.stop();
  if (lastRun) lastRun.running = false;
  setRunning(false);
  output.note("Stopped.");
  status.stopped();
}

// showConsole scrolls the output pane and its badge into view when they are not (on a phone
// they sit below the editor), so that what Run started can be seen.
function showConsole() {
  const box = ui.console.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) ui.console.scrollIntoView({ block: "end" });
}

function setRunning(on) {
  // Run and Stop are disabled in turn, and the live input line hidden: a keyboard user on one of
  // them would be left on nothing (the page's body). The focus moves to the control that is
  // usable now; anywhere else (the editor, the Input box) it stays.
  const at = document.activeElement;
  const onControls = !at || at === document.body || at === ui.run || at === ui.stop || ui.send.contains(at);
  if (!on) {
    running = null;
    ui.send.hidden = true;
  }
  ui.run.disabled = on || !langs.get(current)?.available;
  ui.stop.disabled = !on;
  ui.select.disabled = on;
  if (onControls) {
    const next = on ? ui.stop : ui.run;
    if (!next.disabled) next.focus({ preventScroll: true });
  }
}

ui.run.addEventListener("click", run);
ui.stop.addEventListener("click", stop);
ui.clear.addEventListener("click", () => {
  output.clear();
  if (!running) status.idle();
});
// Ctrl/Cmd+Enter runs from anywhere on the page (the editor binds it itself).
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
    e.preventDefault();
    run();
  }
});
$("run-keys").textContent = isMac ? "⌘↵" : "Ctrl+Enter";
ui.hint.textContent = `· ${isMac ? "⌘" : "Ctrl"}+Enter runs · Esc then Tab leaves the editor`;
window.addEventListener("beforeunload", saveCode);

// --- start ---------------------------------------------------------------------------------

async function start() {
  let list;
  try {
    list = await fetchLanguages();
  } catch (e) {
    notice(`Could not load the language list: ${e.message}. Reload the page to try again.`, "server");
    ui.select.replaceChildren(new Option("unavailable"));
    status.error();
    return;
  }
  langs = new Map(list.map((l) => [l.id, l]));
  if (!list.length) {
    notice("This server offers no languages.", "server");
    return;
  }
  fillPicker(list);
  status.idle();
  if (applyLink()) return;
  const [savedID, savedRuntime] = (store.load("lang") || "").split("/");
  const saved = lookup(savedID);
  const first = list.find((l) => l.available) || list[0];
  const pick = saved?.available ? saved : lookup("python")?.available ? lookup("python") : first;
  const rt = pick === saved && (saved.runtimes || []).some((r) => r.available && r.runtime === savedRuntime && r.runtime !== saved.runtime);
  selectLanguage(rt ? `${pick.id}/${savedRuntime}` : pick.id, { keepCode: false });
}

start();
