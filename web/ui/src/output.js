// The output pane and the status badge.

// At most this many characters are kept in the page; the server caps what a run may print, but a
// browser tab should stay responsive whatever the cap is.
const maxChars = 2_000_000;

// The output is laid out in blocks of about this many characters, each starting at a line start:
// the browser then lays out only the newest block when a chunk arrives. In one text node, each
// chunk of a megabyte of output made it lay out everything again (a second or more per chunk,
// two minutes for the server's 1 MiB limit, the tab frozen meanwhile).
export const blockChars = 16_384;

// Output appends streamed text to a <pre>: blocks (span.chunk, display: block) of whole lines,
// and in each, one <span> per run of the same stage and stream.
export class Output {
  constructor(pre) {
    this.pre = pre;
    this.onPick = null;
    this.clear();
    pre.addEventListener("click", (e) => {
      const a = e.target.closest && e.target.closest("a.loc");
      if (!a || !this.onPick) return;
      e.preventDefault();
      this.onPick(Number(a.dataset.line), Number(a.dataset.column || 0));
    });
  }

  clear() {
    this.pre.textContent = "";
    this.last = null;
    this.block = null; // the block being written, or null: the next text starts one
    this.blockLen = 0; // characters in it
    this.lineStart = true; // whether the last text written ended a line
    this.chars = 0;
    this.full = false;
    this.seen = { compile: false, run: false };
  }

  // append adds text from a stage ("compile" | "run") and stream ("stdout" | "stderr", or
  // "stdin" for the echo of live input).
  append(stage, stream, text) {
    if (!text) return;
    if (stream !== "stdin") this.seen[stage] = true;
    if (this.full) return;
    if (this.chars + text.length > maxChars) {
      text = text.slice(0, maxChars - this.chars);
      this.full = true;
    }
    this.chars += text.length;
    const cls = (stage === "compile" ? "compile " : "") + stream;
    const stick = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 4;
    while (text) {
      // A full block ends at a line's end (or, for a line longer than a few blocks, anywhere).
      if (!this.block || (this.blockLen >= blockChars && (this.lineStart || this.blockLen >= 4 * blockChars))) {
        this.block = document.createElement("span");
        this.block.className = "chunk";
        this.pre.appendChild(this.block);
        this.blockLen = 0;
        this.last = null;
      }
      let piece = text;
      if (this.blockLen + text.length > blockChars) {
        const nl = text.indexOf("\n", Math.max(blockChars - this.blockLen - 1, 0));
        if (nl >= 0) piece = text.slice(0, nl + 1);
      }
      text = text.slice(piece.length);
      if (this.last && this.last.className === cls) {
        this.last.firstChild.appendData(piece);
      } else {
        this.last = document.createElement("span");
        this.last.className = cls;
        this.last.appendChild(document.createTextNode(piece));
        this.block.appendChild(this.last);
      }
      this.blockLen += piece.length;
      this.lineStart = piece.endsWith("\n");
    }
    if (this.full) this.note("The page shows the first 2 million characters only.");
    if (stick) this.pre.scrollTop = this.pre.scrollHeight;
  }

  // linkLocations turns the output's references to the run's files ("main.c:5:13",
  // 'File "/work/main.py", line 2', "Main.java:3", "main.pas(5,8)") into links; clicking one
  // calls onPick(line, column) with 1-based numbers (column 0 when the reference has none).
  linkLocations(files, onPick) {
    this.onPick = onPick;
    if (!files.length) return;
    const names = files.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
    const re = new RegExp(
      `(?<![\\w./-])(?:/work/|\\./)?(?:${names})(?::(\\d+)(?::(\\d+))?|\\((\\d+)(?:, ?(\\d+))?\\)|", line (\\d+)| line (\\d+))`,
      "g",
    );
    const walker = document.createTreeWalker(this.pre, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      if (node.parentElement.classList.contains("note")) continue;
      const text = node.data;
      const parts = [];
      let last = 0;
      for (const m of text.matchAll(re)) {
        const line = m[1] || m[3] || m[5] || m[6];
        const column = m[2] || m[4] || "";
        if (m.index > last) parts.push(document.createTextNode(text.slice(last, m.index)));
        const a = document.createElement("a");
        a.className = "loc";
        a.href = "#";
        a.dataset.line = line;
        a.dataset.column = column;
        a.title = `Go to line ${line}${column ? `, column ${column}` : ""}`;
        a.textContent = m[0];
        parts.push(a);
        last = m.index + m[0].length;
      }
      if (!parts.length) continue;
      if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
      node.replaceWith(...parts);
    }
    this.last = null;
  }

  // note adds a line of explanation (not program output) below the output.
  note(text, bad = false) {
    const el = document.createElement("span");
    el.className = bad ? "note bad" : "note";
    el.textContent = text;
    this.pre.appendChild(el);
    this.last = null;
    this.block = null;
    this.pre.scrollTop = this.pre.scrollHeight;
  }

  // showResult fills in what a Result holds but events did not bring (the POST fallback, or a
  // server that sends no events), then explains a non-ok outcome.
  showResult(r) {
    const c = r.compile;
    if (c && !this.seen.compile) {
      this.append("compile", "stdout", c.stdout);
      this.append("compile", "stderr", c.stderr);
    }
    if (!this.seen.run) {
      this.append("run", "stdout", r.stdout);
      this.append("run", "stderr", r.stderr);
    }
    if (r.stdout_truncated || r.stderr_truncated) {
      const which = [r.stdout_truncated && "stdout", r.stderr_truncated && "stderr"].filter(Boolean).join(" and ");
      this.note(`The program's ${which} was cut at the output limit.`);
    }
    if (!this.chars && r.status === "ok") this.note("The program printed nothing.");
    if (r.status === "compile_error" && this.seen.compile) this.note("Compilation failed.", true);
    else if (r.status !== "ok" && r.message) this.note(r.message, !["runtime_error", "wrong_answer"].includes(r.status));
  }
}

const labels = {
  ok: "ok",
  runtime_error: "runtime error",
  signaled: "signaled",
  time_limit: "time limit",
  memory_limit: "memory limit",
  output_limit: "output limit",
  compile_error: "compile error",
  wrong_answer: "wrong answer",
  internal_error: "internal error",
};

export function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function formatKiB(kib) {
  if (kib < 1024) return `${kib} KiB`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${(kib / 1024 / 1024).toFixed(2)} GiB`;
}

// Status renders the badge: idle, running (with elapsed time), a Result, stopped, or an error.
export class Status {
  constructor(el) {
    this.el = el;
    this.timer = 0;
  }

  set(status, label, metrics = [], tone = "") {
    clearInterval(this.timer);
    this.el.dataset.status = status;
    this.el.className = "status" + (tone ? " " + tone : "");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = label;
    const parts = [badge];
    for (const [name, value] of metrics) {
      const m = document.createElement("span");
      m.className = "metric";
      if (name) m.append(name + " ");
      const b = document.createElement("b");
      b.textContent = value;
      m.append(b);
      parts.push(m);
    }
    this.el.replaceChildren(...parts);
  }

  idle() {
    this.set("idle", "ready");
  }

  running() {
    const start = performance.now();
    this.set("running", "running");
    // The seconds are hidden from screen readers: the badge is a live region, which would
    // otherwise announce "running 1 s", "running 2 s", … every second until the run ends.
    const elapsed = document.createElement("span");
    elapsed.className = "elapsed";
    elapsed.setAttribute("aria-hidden", "true");
    this.el.querySelector(".badge").appendChild(elapsed);
    const tick = () => {
      const s = (performance.now() - start) / 1000;
      elapsed.textContent = s < 1 ? "" : ` ${s.toFixed(0)} s`;
    };
    this.timer = setInterval(tick, 1000);
  }

  result(r) {
    // A compile error's numbers are the compiler's; otherwise the program's.
    const s = r.status === "compile_error" && r.compile ? r.compile : r;
    let label = labels[r.status] || r.status;
    if (r.signal) label += ` (${r.signal})`;
    const tone = r.status === "ok" ? "" : ["runtime_error", "wrong_answer"].includes(r.status) ? "warn" : "bad";
    const metrics = [
      // A limit or a signal killed it: there is no exit code to show (the API says -1).
      s.exit_code < 0 ? ["", "killed"] : ["exit", String(s.exit_code)],
      ["CPU", formatMs(s.cpu_time_ms)],
      ["wall", formatMs(s.wall_time_ms)],
      ["memory", formatKiB(s.memory_kib)],
    ];
    if (r.compile && s !== r.compile) {
      metrics.push(["compile", r.compile.cached ? "cached" : formatMs(r.compile.wall_time_ms)]);
    }
    this.set(r.status, label, metrics, tone);
  }

  stopped() {
    this.set("stopped", "stopped", [], "warn");
  }

  error() {
    this.set("error", "error", [], "bad");
  }
}
