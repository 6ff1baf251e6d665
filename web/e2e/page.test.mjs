// Browser test of sandrun's page: starts the real `sandrun serve` on 127.0.0.1 port 0 (its log says
// which port it got), drives
// the page in headless Chromium like a person would (pick a language, type code and stdin, Run),
// and checks the output, the status badge, that the page raised no JavaScript error, and that it
// made no request to another origin. Saves screenshots in test-artifacts/.
//
// Environment: SANDRUN_BIN (default ../../bin/sandrun), CHROMIUM (default /usr/bin/chromium),
// SANDRUN_URL (drive a server that is already running instead of starting one).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const artifacts = join(repo, "test-artifacts");
const bin = process.env.SANDRUN_BIN || join(repo, "bin", "sandrun");

let server; // the sandrun serve child process, when this test started it
let serverLog; // its log file (a write stream)
let serverClosed; // resolves once the server has exited and its output is copied
let base; // the page's URL
let languages; // /api/v1/languages
let context; // the browser
let page;
let profile; // the browser's fresh user data dir
const problems = []; // JavaScript errors and requests to other origins, checked at the end

// startServer starts `sandrun serve` on 127.0.0.1:0, copies its output to serverLog, and resolves
// to the page's URL once the server's "serving" log line names the address it listens on (no free
// port is picked and released first, so no other process can take it in between).
function startServer() {
  return new Promise((ok, fail) => {
    const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    serverClosed = new Promise((r) => child.once("close", r));
    const killer = setTimeout(() => fail(new Error("sandrun serve did not say where it listens within 2 minutes; see test-artifacts/web-e2e-server.log")), 120_000);
    const done = (f, v) => {
      clearTimeout(killer);
      f(v);
    };
    let seen = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(serverLog, { end: false });
      stream.on("data", (b) => {
        if (seen === null) return;
        seen += b.toString();
        const m = /msg=serving .*?\burl=(http:\/\/\S+)/.exec(seen);
        if (m) {
          seen = null;
          done(ok, new URL(m[1]).href);
        }
      });
    }
    child.on("error", (e) => done(fail, new Error(`cannot start ${bin} (run make build): ${e.message}`)));
    child.on("exit", (code) => done(fail, new Error(`sandrun serve exited with code ${code}; see test-artifacts/web-e2e-server.log`)));
  });
}

async function waitUntilServing(url, child) {
  const deadline = Date.now() + 120_000; // a hang only
  let last;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`sandrun serve exited with code ${child.exitCode}; see test-artifacts/web-e2e-server.log`);
    }
    try {
      const res = await fetch(url + "api/v1/languages");
      if (res.ok) return;
      last = new Error(`GET /api/v1/languages answered ${res.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sandrun serve did not answer within 2 minutes (see test-artifacts/web-e2e-server.log): ${last?.message}`);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (process.env.SANDRUN_URL) {
    base = new URL(process.env.SANDRUN_URL).href;
  } else {
    // The server's log goes to test-artifacts/web-e2e-server.log.
    serverLog = createWriteStream(join(artifacts, "web-e2e-server.log"));
    base = await startServer();
  }
  await waitUntilServing(base, server);
  languages = await (await fetch(base + "api/v1/languages")).json();

  profile = mkdtempSync(join(tmpdir(), "sandrun-e2e-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 760 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const origin = new URL(base).origin;
  const wsOrigin = origin.replace(/^http/, "ws");
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin && u.protocol !== "data:" && u.protocol !== "blob:") {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });
  // Bounds on the page's actions and waits catch hangs only: a loaded machine takes its time.
  context.setDefaultTimeout(120_000);
  page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("websocket", (ws) => {
    if (new URL(ws.url()).origin !== wsOrigin) problems.push(`WebSocket to another origin: ${ws.url()}`);
  });
  await page.goto(base);
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (server?.pid !== undefined) {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
    const killer = setTimeout(() => server.kill("SIGKILL"), 10_000);
    await serverClosed;
    clearTimeout(killer);
  }
  if (serverLog !== undefined) await new Promise((r) => serverLog.end(r));
});

function lang(id) {
  return languages.find((l) => l.id === id);
}

// missing skips t, saying why, when the server cannot run language id. Python is required: the
// page must work for it on any machine sandrun supports.
function missing(t, id) {
  if (id === "python") {
    assert.ok(lang("python")?.available, `python must be available: ${JSON.stringify(lang("python"))}`);
    return false;
  }
  const l = lang(id);
  const why = !l ? `the server has no language "${id}"` : !l.available ? `${id} is not installed here: ${l.missing}` : "";
  if (why) t.skip(why);
  return why !== "";
}

async function pick(id) {
  const select = page.getByTestId("language-select");
  await page.locator(`[data-testid="language-select"]:enabled option[value="${id}"]`).waitFor({ state: "attached" });
  await select.selectOption(id);
}

// replaceCode empties the editor and types code; insert pastes it instead, for code whose
// braces and newlines the editor would auto-close or auto-indent while typing. Typing presses
// Escape before each Enter: the completion popup opens after a pause, and on a loaded machine
// it was up when Enter came, which took its suggestion ("import sys" became "import SystemExit").
async function replaceCode(code, { insert = false } = {}) {
  await page.getByTestId("editor").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Backspace");
  if (insert) {
    await page.keyboard.insertText(code);
    return;
  }
  const lines = code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) {
      await page.keyboard.press("Escape");
      await page.keyboard.press("Enter");
    }
    await page.keyboard.type(lines[i]);
  }
}

// editorText reads the code as the editor shows it (every line is rendered for short code).
async function editorText(p = page) {
  return p.locator('[data-testid="editor"] .cm-content').evaluate((el) =>
    Array.from(el.querySelectorAll(".cm-line"), (line) => line.textContent).join("\n"),
  );
}

// runAndWait presses Run (click, else Ctrl+Enter, else neither) and waits for the badge to leave
// "running"; it returns the badge's status, its text, and the output's stdout and stderr text.
async function runAndWait({ click = true, press = !click } = {}) {
  const status = page.getByTestId("status");
  if (click) await page.getByTestId("run-button").click();
  else if (press) await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="status"]').dataset.status;
    return !["loading", "idle", "running"].includes(s);
  }, null, { timeout: 120_000 });
  const output = page.getByTestId("output");
  return {
    status: await status.getAttribute("data-status"),
    badge: (await status.innerText()).replace(/\s+/g, " "),
    output: await output.innerText(),
    stdout: (await output.locator("span.stdout:not(.compile)").allInnerTexts()).join(""),
    stderr: (await output.locator("span.stderr:not(.compile)").allInnerTexts()).join(""),
  };
}

// legend maps each entry of the output's legend to its swatch's colour; colourOf gives the text
// colour of the first element of the output pane that matches selector.
async function legend() {
  return page.locator(".legend").evaluate((el) =>
    Object.fromEntries(Array.from(el.querySelectorAll(".key"), (k) => [k.textContent.trim(), getComputedStyle(k.querySelector(".swatch")).backgroundColor])),
  );
}
async function colourOf(selector) {
  return page.getByTestId("output").locator(selector).first().evaluate((el) => getComputedStyle(el).color);
}

function assertOkBadge(r) {
  assert.equal(r.status, "ok", `status badge: ${r.badge}\noutput:\n${r.output}`);
  assert.match(r.badge, /^ok exit 0 CPU \d+(\.\d+)? m?s wall \d+(\.\d+)? m?s memory \d+(\.\d)? (KiB|MiB)( compile (\d+(\.\d+)? m?s|cached))?$/);
  assert.doesNotMatch(r.badge, /memory 0 KiB/, "peak memory is reported");
}

test("the page lists the languages and shows a hello-world example", async () => {
  const python = lang("python");
  assert.ok(python, "the server lists python");
  await page.locator('[data-testid="language-select"]:enabled').waitFor();
  const options = await page.getByTestId("language-select").locator("option").allInnerTexts();
  // One entry per language, or one per installed runtime where a language has several.
  const entries = languages.reduce((n, l) => {
    const rts = (l.runtimes || []).filter((r) => r.available);
    return n + (l.available && (l.runtimes || []).length > 1 ? rts.length : 1);
  }, 0);
  assert.equal(options.length, entries, `options: ${options}`);
  for (const l of languages.filter((l) => !l.available)) {
    assert.equal(await page.locator(`option[value="${l.id}"]`).isDisabled(), true, `${l.id} is disabled`);
  }
  await pick("python");
  assert.ok(python.hello, "the API gives python's hello-world example");
  assert.equal(await editorText(), python.hello);
});

test("Python: typed code reads stdin, stdout and stderr show in the order written", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('import sys\nname = sys.stdin.readline().strip()\nprint("Hello, " + name + "!")\nprint("warning: done", file=sys.stderr)\n');
  await page.getByTestId("stdin").fill("sandrun");
  const r = await runAndWait();
  await page.screenshot({ path: join(artifacts, "web-e2e.png") });
  assertOkBadge(r);
  // One descriptor for both (merge_output): the pane shows exactly the order of the writes.
  assert.equal(r.stdout, "Hello, sandrun!\nwarning: done\n");
  assert.equal(r.stderr, "");
  // The legend names the colours the pane uses: no stderr colour, since stderr is not told apart.
  const keys = await legend();
  assert.deepEqual(Object.keys(keys), ["program", "compiler", "your input"]);
  assert.equal(keys.program, await colourOf("span.stdout"), "the program's output has the legend's colour");
});

test("alternating stdout and stderr lines keep their order", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('import sys\nfor i in range(20):\n    print("out", i)\n    print("err", i, file=sys.stderr)\n');
  await page.getByTestId("stdin").fill("");
  const r = await runAndWait();
  assertOkBadge(r);
  const want = Array.from({ length: 20 }, (_, i) => `out ${i}\nerr ${i}\n`).join("");
  assert.equal(r.stdout, want);
});

// Output in one text node made the browser lay the whole pane out again for every chunk that
// arrived (over a second each, two minutes for the server's 1 MiB limit, the tab frozen):
// the pane keeps blocks of whole lines, so that only the newest block is laid out.
test("100 KB of output shows whole and in order, in blocks of whole lines", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode("for i in range(20000):\n    print(i)\n", { insert: true });
  await page.getByTestId("stdin").fill("");
  const r = await runAndWait();
  assertOkBadge(r);
  const pane = await page.getByTestId("output").evaluate((el) => ({
    text: Array.from(el.querySelectorAll("span.stdout"), (s) => s.textContent).join(""),
    blocks: Array.from(el.children, (c) => c.textContent),
  }));
  const want = Array.from({ length: 20000 }, (_, i) => `${i}\n`).join("");
  assert.ok(pane.text === want, `the pane holds ${pane.text.length} characters, not the ${want.length} printed, or not in order`);
  const longest = Math.max(...pane.blocks.map((b) => b.length));
  assert.ok(longest <= 65536, `one block of the pane holds ${longest} characters: the browser lays it all out for every chunk`);
  const cut = pane.blocks.slice(0, -1).findIndex((b) => !b.endsWith("\n"));
  assert.equal(cut, -1, `block ${cut} of ${pane.blocks.length} ends inside a line`);
});

test("a limit's badge says killed, not exit -1", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode("while True:\n    pass\n");
  const r = await runAndWait();
  assert.equal(r.status, "time_limit", r.badge);
  assert.match(r.badge, /^time limit( \(SIG\w+\))? killed CPU /);
  assert.doesNotMatch(r.badge, /exit -1/);
});

test("at 390 px wide the language picker stays inside the page", async () => {
  const narrow = await context.newPage();
  await narrow.setViewportSize({ width: 390, height: 844 });
  await narrow.goto(base);
  const picker = narrow.getByTestId("language-select");
  await picker.waitFor();
  const box = await picker.boundingBox();
  const width = await narrow.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `the picker spans ${box.x}..${box.x + box.width} px`);
  assert.ok(width <= 390, `the page is ${width} px wide: it scrolls sideways`);
  await narrow.close();
});

test("on a 390 × 844 px phone, Run is on the screen as the page opens, and so are the output and badge once it ran", async (t) => {
  if (missing(t, "python")) return;
  const phone = await context.newPage();
  phone.on("pageerror", (e) => problems.push(`page error (phone): ${e.message}`));
  try {
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(base);
    await phone.locator('[data-testid="language-select"]:enabled').waitFor();
    await phone.getByTestId("language-select").selectOption("python");
    const onScreen = async (testid) => {
      const box = await phone.getByTestId(testid).boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= 844;
    };
    assert.ok(await onScreen("run-button"), `Run is at ${JSON.stringify(await phone.getByTestId("run-button").boundingBox())}, off the 844 px screen`);
    await phone.getByTestId("editor").click();
    await phone.keyboard.press("ControlOrMeta+A");
    await phone.keyboard.insertText('print("from the phone")\n');
    await phone.getByTestId("stdin").fill("");
    await phone.locator("#args").fill("");
    await phone.getByTestId("run-button").click();
    await phone.locator('[data-testid="status"][data-status="ok"]').waitFor({ timeout: 120_000 });
    assert.ok(await onScreen("status"), `the badge is at ${JSON.stringify(await phone.getByTestId("status").boundingBox())}, off the screen`);
    await phone.getByTestId("output").getByText("from the phone").waitFor();
    const out = await phone.getByTestId("output").boundingBox();
    assert.ok(out.y >= 0 && out.y < 844, `the output starts at ${out.y} px, off the screen`);
    await phone.screenshot({ path: join(artifacts, "web-e2e-phone.png") });
  } finally {
    await phone.close();
  }
});

test("C: compiled, reads stdin, runs with Ctrl+Enter", async (t) => {
  if (missing(t, "c")) return;
  await pick("c");
  await replaceCode(
    '#include <stdio.h>\n\nint main(void) {\n    int a, b;\n    if (scanf("%d %d", &a, &b) != 2) return 1;\n    printf("sum=%d\\n", a + b);\n    return 0;\n}\n',
    { insert: true },
  );
  await page.getByTestId("stdin").fill("40 2\n");
  await page.getByTestId("editor").click();
  const r = await runAndWait({ click: false });
  assertOkBadge(r);
  assert.match(r.badge, / compile /, "the badge tells the compile time");
  assert.equal(r.stdout, "sum=42\n");
});

test("C: a compile error shows the compiler's message", async (t) => {
  if (missing(t, "c")) return;
  await pick("c");
  await replaceCode("int main(void) { return missing; }\n", { insert: true });
  const r = await runAndWait();
  assert.equal(r.status, "compile_error", r.badge);
  assert.match(r.badge, /^compile error/);
  assert.match(r.output, /missing/);
  assert.match(r.output, /Compilation failed\./);
  assert.equal((await legend()).compiler, await colourOf("span.compile.stderr"), "the compiler's message has the legend's colour");
});

test("C: the compile error's line carries a lint marker; its output link moves the cursor there", async (t) => {
  if (missing(t, "c")) return;
  await pick("c");
  await replaceCode("#include <stdio.h>\n\nint main(void) {\n    printf(\"%d\\n\", missing);\n}\n", { insert: true });
  const r = await runAndWait();
  assert.equal(r.status, "compile_error", r.badge);
  const editor = page.getByTestId("editor");
  const range = editor.locator(".cm-lintRange-error").first();
  await range.waitFor();
  assert.equal(await range.innerText(), "missing");
  const lineOf = (el) => Array.from(el.closest(".cm-content").querySelectorAll(".cm-line")).indexOf(el.closest(".cm-line")) + 1;
  assert.equal(await range.evaluate(lineOf), 4, "the underline is on line 4");
  assert.equal(await editor.locator(".cm-gutter-lint .cm-lint-marker-error").count(), 1, "one error marker in the gutter");
  await page.screenshot({ path: join(artifacts, "web-e2e-lint.png") });
  const link = page.getByTestId("output").locator("a.loc").first();
  assert.equal(await link.innerText(), "main.c:4:20");
  await page.getByTestId("editor").locator(".cm-content").evaluate((el) => el.blur());
  await link.click();
  const cursor = await page.evaluate(() => {
    const sel = document.getSelection();
    const line = sel.anchorNode.parentElement.closest(".cm-line");
    return { line: Array.from(line.parentElement.querySelectorAll(".cm-line")).indexOf(line) + 1 };
  });
  assert.equal(cursor.line, 4, "the cursor moved to line 4");
});

test("a new run clears the lint markers as it starts, also one whose arguments are wrong", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  // Reads stdin to its end, then fails on line 3: with Live input the run waits for End input,
  // so "while it runs" is a state the test holds, not a moment it must catch.
  await replaceCode("import sys\ndata = sys.stdin.read()\nprint(1/0)\n", { insert: true });
  await page.getByTestId("stdin").fill("");
  await page.getByLabel("Arguments").fill("");
  const editor = page.getByTestId("editor");
  const markers = async () => ({
    underlines: await editor.locator(".cm-lintRange-error").count(),
    gutter: await editor.locator(".cm-gutter-lint .cm-lint-marker-error").count(),
  });
  const failed = async () => {
    const r = await runAndWait({ click: false, press: false });
    assert.equal(r.status, "runtime_error", r.badge);
    await editor.locator(".cm-lintRange-error").first().waitFor();
    assert.deepEqual(await markers(), { underlines: 1, gutter: 1 });
  };
  await page.getByTestId("run-button").click();
  await failed();

  await page.getByLabel("Live input").check();
  try {
    await page.getByTestId("run-button").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]').dataset.status === "running");
    assert.deepEqual(await markers(), { underlines: 0, gutter: 0 }, "the last run's markers are gone while the new one runs");
    await page.getByRole("button", { name: "End input" }).click();
    await failed();
  } finally {
    await page.getByLabel("Live input").uncheck();
  }

  // A run that cannot start (an open quote in the arguments) clears them too, with the output.
  await page.getByLabel("Arguments").fill("'open");
  try {
    await page.getByTestId("run-button").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]').dataset.status === "error");
    assert.match(await page.getByTestId("output").innerText(), /quote/);
    assert.deepEqual(await markers(), { underlines: 0, gutter: 0 }, "no marker of the last run stays beside the new error");
  } finally {
    await page.getByLabel("Arguments").fill("");
  }
});

test("JavaScript: reads stdin and exits non-zero", async (t) => {
  if (missing(t, "javascript")) return;
  await pick("javascript");
  await replaceCode(
    'const input = require("fs").readFileSync(0, "utf8");\nconsole.log(input.trim().toUpperCase());\nconsole.error("oops");\nprocess.exitCode = 3;\n',
    { insert: true },
  );
  await page.getByTestId("stdin").fill("shout");
  const r = await runAndWait();
  await page.screenshot({ path: join(artifacts, "web-e2e-javascript.png") });
  assert.equal(r.status, "runtime_error", r.badge);
  assert.match(r.badge, /exit 3 /);
  assert.equal(r.stdout, "SHOUT\noops\n");
  assert.equal(r.stderr, "");
});

// The run waits for input that never comes, with Live input: its wall clock is then the server's
// longest (60 s), so only Stop ends it. Without Live input it would be 2×CPU+1s (5 s), which on a
// loaded machine could pass between "started" and the click, leaving Stop disabled.
test("Stop kills a run that would never end", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('import sys\nprint("started", flush=True)\nsys.stdin.read()\nprint("ended")\n', { insert: true });
  await page.getByTestId("stdin").fill("");
  await page.getByLabel("Live input").check();
  try {
    await page.getByTestId("run-button").click();
    await page.getByTestId("output").getByText("started").waitFor({ timeout: 120_000 });
    // The badge counts the seconds, but its live region does not announce each one.
    await page.getByTestId("status").getByText(/^running \d+ s$/).waitFor({ timeout: 120_000 });
    const spoken = await page.getByTestId("status").ariaSnapshot();
    assert.match(spoken, /running/);
    assert.doesNotMatch(spoken, /\d+ s/, `the status region reads:\n${spoken}`);
    await page.getByRole("button", { name: "Stop" }).click();
    assert.equal(await page.getByTestId("status").getAttribute("data-status"), "stopped");
    assert.equal(await page.getByTestId("run-button").isEnabled(), true, "Run is enabled again");
    assert.doesNotMatch(await page.getByTestId("output").innerText(), /ended/);
  } finally {
    await page.getByLabel("Live input").uncheck();
  }
});

test("Live input: the program reads lines typed while it runs", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('name = input("name? ")\nprint("hi " + name)\nprint(len(input()))\n', { insert: true });
  await page.getByTestId("stdin").fill("");
  await page.getByLabel("Live input").check();
  await page.getByTestId("run-button").click();
  await page.getByTestId("output").getByText("name?").waitFor({ timeout: 120_000 });
  const line = page.getByLabel("Input for the running program");
  assert.equal(await line.evaluate((el) => el === document.activeElement), true, "the input line has the focus");
  await line.fill("Ada");
  await line.press("Enter");
  await page.getByTestId("output").getByText("hi Ada").waitFor({ timeout: 120_000 });
  await line.fill("four");
  await line.press("Enter");
  const r = await runAndWait({ click: false, press: false });
  await page.getByLabel("Live input").uncheck();
  assertOkBadge(r);
  assert.equal(r.stdout, "name? hi Ada\n4\n");
  assert.match(r.output, /^name\? Ada\nhi Ada\nfour\n4\n/);
  assert.equal((await legend())["your input"], await colourOf("span.stdin"), "the input typed has the legend's colour");
  assert.equal(await line.isVisible(), false, "the input line goes away when the run ends");
});

// Run is disabled while a run goes, Stop once it ended, and the live input line goes away: the
// keyboard's focus moves to what can be used next instead of falling onto the page's body.
test("by keyboard: Enter on Run, then on Stop, then a live input line, and the focus follows", async (t) => {
  if (missing(t, "python")) return;
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  await pick("python");
  await replaceCode('print("started", flush=True)\nwhile True:\n    pass\n', { insert: true });
  await page.getByTestId("run-button").focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("output").getByText("started").waitFor({ timeout: 120_000 });
  assert.equal(await focused(), "stop", "the focus moves from Run to Stop");
  await page.keyboard.press("Enter");
  await page.locator('[data-testid="status"][data-status="stopped"]').waitFor();
  assert.equal(await focused(), "run", "the focus moves from Stop back to Run");

  await replaceCode('print("hi " + input("name? "))\n', { insert: true });
  await page.getByTestId("stdin").fill("");
  await page.getByLabel("Live input").check();
  try {
    await page.getByTestId("run-button").focus();
    await page.keyboard.press("Enter");
    await page.getByTestId("output").getByText("name?").waitFor({ timeout: 120_000 });
    assert.equal(await focused(), "send-line", "the live input line has the focus");
    await page.keyboard.type("Ada");
    await page.keyboard.press("Enter");
    const r = await runAndWait({ click: false, press: false });
    assertOkBadge(r);
    assert.equal(r.stdout, "name? hi Ada\n");
    assert.equal(await focused(), "run", "the focus moves from the input line, now gone, to Run");
  } finally {
    await page.getByLabel("Live input").uncheck();
  }
});

test("a share link reproduces language, code and stdin", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('print(input()[::-1])  # ünïcode\n', { insert: true });
  await page.getByTestId("stdin").fill("olleh");
  await page.getByRole("button", { name: "Share" }).click();
  const url = page.url();
  assert.match(url, /#lang=python&code=[A-Za-z0-9_-]+&stdin=[A-Za-z0-9_-]+$/);
  const other = await context.newPage();
  other.on("pageerror", (e) => problems.push(`page error (shared link): ${e.message}`));
  await other.goto(url);
  await other.locator('[data-testid="language-select"]:enabled').waitFor();
  assert.equal(await other.getByTestId("language-select").inputValue(), "python");
  assert.equal(await other.getByTestId("stdin").inputValue(), "olleh");
  assert.equal(await editorText(other), 'print(input()[::-1])  # ünïcode\n');
  await other.close();
  const r = await runAndWait();
  assertOkBadge(r);
  assert.equal(r.stdout, "hello\n");
});

test("a share link with the result shows that run's result in another tab", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await replaceCode('print("shared", 6 * 7)\n', { insert: true });
  await page.getByTestId("share-result").check();
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await page.waitForFunction(() => /&job=[A-Za-z0-9_-]+$/.test(location.hash), null, { timeout: 120_000 });
  const url = page.url();
  await page.getByTestId("share-result").uncheck();
  const other = await context.newPage();
  other.on("pageerror", (e) => problems.push(`page error (shared result): ${e.message}`));
  await other.goto(url);
  await other.waitForFunction(() => {
    const s = document.querySelector('[data-testid="status"]').dataset.status;
    return !["loading", "idle", "running"].includes(s);
  }, null, { timeout: 120_000 });
  const out = await other.getByTestId("output").innerText();
  assert.equal(await other.getByTestId("status").getAttribute("data-status"), "ok", out);
  assert.match(out, /shared 42/);
  assert.equal(await editorText(other), 'print("shared", 6 * 7)\n');
  await other.close();
});

// nextKeptRun resolves to the job id that the next WebSocket run's result message names (the
// server kept the run as a job), read from the frames the page receives.
function nextKeptRun(p = page) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("no WebSocket result message within 2 minutes")), 120_000);
    p.once("websocket", (ws) =>
      ws.on("framereceived", (f) => {
        let m;
        try {
          m = JSON.parse(f.payload);
        } catch {
          return;
        }
        if (m.type === "result") {
          clearTimeout(timer);
          ok(m.job || "");
        }
      }),
    );
  });
}

// openShared opens url in a new tab and returns its output text and badge once its run shows;
// then, when given, it calls also(tab) before closing the tab.
async function openShared(url, also) {
  const other = await context.newPage();
  other.on("pageerror", (e) => problems.push(`page error (shared run): ${e.message}`));
  await other.goto(url);
  await other.waitForFunction(() => {
    const s = document.querySelector('[data-testid="status"]').dataset.status;
    return !["loading", "idle", "running"].includes(s);
  }, null, { timeout: 120_000 });
  const shown = {
    status: await other.getByTestId("status").getAttribute("data-status"),
    badge: (await other.getByTestId("status").innerText()).replace(/\s+/g, " "),
    stdout: (await other.getByTestId("output").locator("span.stdout:not(.compile)").allInnerTexts()).join(""),
  };
  if (also) await also(other);
  await other.close();
  return shown;
}

// sharedJob clicks Share on tab p and returns the job id of the link it put in the address bar,
// once the share line says which run it names (Share with the result may look the job up first).
async function sharedJob(p = page) {
  await p.getByRole("button", { name: "Share", exact: true }).click();
  const hash = await p.waitForFunction(
    () => !document.querySelector('[data-testid="share-note"]').hidden && /&job=[A-Za-z0-9_-]+$/.test(location.hash) && location.hash,
    null,
    { timeout: 120_000 },
  );
  return /&job=([A-Za-z0-9_-]+)$/.exec(await hash.jsonValue())[1];
}

test("Share with the result names the run the user watched, and a new run once the code changed", async (t) => {
  if (missing(t, "python")) return;
  await pick("python");
  await page.getByTestId("share-result").check();
  // Random output: only the very same run shows the same line.
  await replaceCode('import os\nprint("watched", os.urandom(8).hex())\n', { insert: true });
  await page.getByTestId("stdin").fill("");
  const kept = nextKeptRun();
  const r = await runAndWait();
  assertOkBadge(r);
  const job = await kept;
  assert.match(job, /^[A-Za-z0-9_-]+$/, "the run was kept as a job");
  assert.equal(await sharedJob(), job, "the link names the run just watched");
  assert.equal(await page.getByTestId("share-note").innerText(), "Shares the run you last watched.");
  // Whoever opens the link watched that run too: their Share names it again.
  let again = "";
  const link = await page.evaluate(() => location.href);
  const seen = await openShared(link, async (other) => {
    again = await sharedJob(other);
    assert.equal(await other.getByTestId("share-note").innerText(), "Shares the run you last watched.");
  });
  assert.equal(again, job, "sharing an opened link again names the same run");
  assert.equal(seen.status, "ok");
  assert.equal(seen.stdout, r.stdout, "the link shows the watched run's output");
  assert.equal(seen.badge, r.badge, "and its exit code and times");

  // Edited since the run: the link names a new run, and the page says why.
  await replaceCode('import os\nprint("edited", os.urandom(8).hex())\n', { insert: true });
  const fresh = await sharedJob();
  assert.notEqual(fresh, job, "a new job once the code changed");
  assert.equal(await page.getByTestId("share-note").innerText(), "Shares a new run: the code changed since the last run.");
  const seenFresh = await openShared(await page.evaluate(() => location.href));
  assert.equal(seenFresh.status, "ok");
  assert.match(seenFresh.stdout, /^edited [0-9a-f]{16}\n$/);
  await page.getByTestId("share-result").uncheck();
});

test("a broken share link says what is wrong and the page still works", async () => {
  const other = await context.newPage();
  other.on("pageerror", (e) => problems.push(`page error (broken link): ${e.message}`));
  await other.goto(base + "#lang=klingon&code=eA");
  await other.locator('[data-testid="language-select"]:enabled').waitFor();
  assert.match(await other.locator("#notice").innerText(), /language "klingon", which this server does not know/);
  assert.equal(await other.getByTestId("run-button").isEnabled(), true);
  await other.close();
});

// A page whose server has stopped: its own server and browser, so that the main server and the
// other-origin check of the whole test are left alone.
test("when the server has stopped, Run and Share say so in one sentence", async (t) => {
  if (process.env.SANDRUN_URL) return t.skip("needs a server of its own to stop");
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  const closed = new Promise((r) => child.once("close", r));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  try {
    let seen = "";
    const url = await new Promise((ok, fail) => {
      const killer = setTimeout(() => fail(new Error(`sandrun serve did not say where it listens within 2 minutes: ${seen}`)), 120_000);
      for (const stream of [child.stdout, child.stderr]) {
        stream.on("data", (b) => {
          seen += b;
          const m = /msg=serving .*?\burl=(http:\/\/\S+)/.exec(seen);
          if (m) {
            clearTimeout(killer);
            ok(new URL(m[1]).href);
          }
        });
      }
      child.on("exit", (code) => fail(new Error(`sandrun serve exited with code ${code}: ${seen}`)));
    });
    const gone = await browser.newPage();
    gone.setDefaultTimeout(120_000);
    await gone.goto(url);
    await gone.locator('[data-testid="language-select"]:enabled').waitFor();
    child.kill("SIGTERM");
    await closed;
    await gone.getByTestId("run-button").click();
    await gone.locator('[data-testid="status"][data-status="error"]').waitFor();
    const host = new URL(url).host;
    const sentence = `the server at ${host} does not answer`;
    const out = await gone.getByTestId("output").innerText();
    assert.ok(out.startsWith(sentence) && /: sandrun serve may have stopped$/.test(out.trim()), `the output says:\n${out}`);
    await gone.getByTestId("share-result").check();
    await gone.locator("#share").click();
    await gone.locator("#notice", { hasText: "Could not share" }).waitFor();
    assert.match(await gone.locator("#notice").innerText(), new RegExp(`^Could not share the result: ${sentence} .*: sandrun serve may have stopped$`));
  } finally {
    await browser.close();
    child.kill("SIGKILL");
    await closed;
  }
});

test("the theme toggles between dark and light", async () => {
  const html = page.locator("html");
  const before = await html.getAttribute("data-theme");
  await page.getByRole("button", { name: /Switch to (dark|light) theme/ }).click();
  const afterToggle = await html.getAttribute("data-theme");
  assert.notEqual(afterToggle, before);
  await page.screenshot({ path: join(artifacts, `web-e2e-${afterToggle}.png`) });
});

// axeViolations runs axe-core's WCAG 2 A/AA rules on the page, leaving out the colours of the
// highlighted code (CodeMirror's themes), and returns one line per violation.
async function axeViolations() {
  // Evaluated through the DevTools protocol: the page's CSP rightly refuses inline scripts.
  await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  const result = await page.evaluate(() =>
    window.axe.run({ exclude: [[".cm-line"]] }, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("the page passes axe-core's accessibility rules in both themes", async () => {
  for (let i = 0; i < 2; i++) {
    const theme = await page.locator("html").getAttribute("data-theme");
    assert.deepEqual(await axeViolations(), [], `${theme} theme`);
    await page.getByRole("button", { name: /Switch to (dark|light) theme/ }).click();
  }
});

test("the page raised no JavaScript error and asked no other origin", () => {
  assert.deepEqual(problems, []);
});
