// Unit tests of the page's pure helpers (no browser, no npm packages): node --test web/ui/test
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatKiB, formatMs } from "../src/output.js";
import { decodeB64url, encodeB64url, parseFragment, reuseRun, shareFragment } from "../src/share.js";
import { splitWords } from "../src/words.js";

test("splitWords splits like a shell, without expansion", () => {
  const cases = [
    ["", []],
    ["   ", []],
    ["a b  c", ["a", "b", "c"]],
    ['--name "two words"', ["--name", "two words"]],
    ["'single $HOME' *", ["single $HOME", "*"]],
    ['say "a \\"quoted\\" word"', ["say", 'a "quoted" word']],
    ["a\\ b c", ["a b", "c"]],
    ['x""', ["x"]],
    ['""', [""]],
    ["it''s", ["its"]],
    ["tab\tsep\nnl", ["tab", "sep", "nl"]],
  ];
  for (const [input, want] of cases) assert.deepEqual(splitWords(input), want, JSON.stringify(input));
});

test("splitWords names an unclosed quote", () => {
  assert.throws(() => splitWords('"open'), /" quote is not closed/);
  assert.throws(() => splitWords("a 'open"), /' quote is not closed/);
});

test("base64url round-trips any text, unpadded and URL-safe", () => {
  for (const s of ["", "a", "ab", "abc", "héllo wörld ✓ 🎉", "<?php echo 1+1; ?>\n", "x".repeat(100_000), "\u0000\u00ff"]) {
    const enc = encodeB64url(s);
    assert.match(enc, /^[A-Za-z0-9_-]*$/);
    assert.equal(decodeB64url(enc), s);
  }
  assert.equal(encodeB64url("~~~"), "fn5-"); // standard base64 would say "fn5+"
  assert.equal(encodeB64url("?>?"), "Pz4_"); // and "Pz4/"
});

test("a share fragment round-trips a snippet", () => {
  const snip = { lang: "python", code: 'print("hi")  # ü\n', stdin: "1 2\n", args: '-v "x y"' };
  const frag = shareFragment(snip);
  assert.match(frag, /^#lang=python&code=[\w-]+&stdin=[\w-]+&args=[\w-]+$/);
  assert.deepEqual(parseFragment(frag), snip);
  assert.deepEqual(parseFragment(shareFragment({ lang: "c", code: "", stdin: "", args: "" })), { lang: "c", code: "", stdin: "", args: "" });
  assert.equal(shareFragment({ lang: "c", code: "x", stdin: "", args: "" }), "#lang=c&code=eA");
});

test("a share fragment carries the id of a shared run", () => {
  const snip = { lang: "python", code: "print(1)", stdin: "", args: "", job: "4f1c9a2e7b3d5c60" };
  const frag = shareFragment(snip);
  assert.match(frag, /&job=4f1c9a2e7b3d5c60$/);
  assert.deepEqual(parseFragment(frag), snip);
  assert.deepEqual(parseFragment("#job=4f1c9a2e7b3d5c60"), { lang: "", code: "", stdin: "", args: "", job: "4f1c9a2e7b3d5c60" });
  assert.throws(() => parseFragment("#lang=c&code=eA&job=../etc"), /job is not a job id/);
});

test("parseFragment ignores other fragments and names a broken field", () => {
  assert.equal(parseFragment(""), null);
  assert.equal(parseFragment("#section-2"), null);
  assert.throws(() => parseFragment("#lang=c&code=%%%"), /code is not valid base64url/);
  assert.throws(() => parseFragment("#lang=c&code=eA&stdin=_w"), /stdin is not valid base64url UTF-8/); // 0xff
});

test("times and sizes read naturally", () => {
  const ms = [[0, "0 ms"], [12, "12 ms"], [999, "999 ms"], [1000, "1.00 s"], [1234, "1.23 s"], [12345, "12.3 s"]];
  for (const [v, want] of ms) assert.equal(formatMs(v), want);
  const kib = [[0, "0 KiB"], [812, "812 KiB"], [1024, "1.0 MiB"], [9421, "9.2 MiB"], [3 * 1024 * 1024, "3.00 GiB"]];
  for (const [v, want] of kib) assert.equal(formatKiB(v), want);
});

test("reuseRun names the last run only when it ran what the page holds and the server kept it", () => {
  const now = { lang: "python", runtime: "", code: "print(1)\n", stdin: "in", args: "-n 3" };
  const last = { ...now, interactive: false, kept: true, finished: true, job: "4f1c9a2e7b3d5c60" };
  assert.deepEqual(reuseRun(last, now), { job: "4f1c9a2e7b3d5c60" });
  assert.deepEqual(reuseRun({ ...last, runtime: undefined }, now), { job: "4f1c9a2e7b3d5c60" }, "no runtime is the default one");
  const cases = [
    [null, now, "nothing was run yet"],
    [last, { ...now, lang: "c" }, "the language changed since the last run"],
    [last, { ...now, runtime: "pypy" }, "the language changed since the last run"],
    [last, { ...now, code: "print(2)\n" }, "the code changed since the last run"],
    [last, { ...now, stdin: "" }, "the input changed since the last run"],
    [last, { ...now, args: "-n 4" }, "the arguments changed since the last run"],
    [{ ...last, interactive: true }, now, "the last run took live input"],
    [{ ...last, kept: false, job: "" }, now, 'the last run was made without "with result" ticked'],
    [{ ...last, running: true, finished: false, job: "" }, now, "the last run is still running"],
    [{ ...last, running: false, finished: false, job: "" }, now, "the last run did not finish"],
    [{ ...last, job: "" }, now, "the server did not keep the last run"],
  ];
  for (const [l, n, reason] of cases) assert.deepEqual(reuseRun(l, n), { reason }, reason);
});
