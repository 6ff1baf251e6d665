// Every highlighter loads, and the main languages of languages/defs get one.
// Needs web/ui/node_modules (make test-web-unit installs it).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadMode, loaders, modeKey } from "../src/modes.js";

const defs = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "languages", "defs");

// readDefs picks the fields modeKey uses out of each TOML file (simple one-line keys).
function readDefs() {
  return readdirSync(defs)
    .filter((f) => f.endsWith(".toml"))
    .map((f) => {
      const toml = readFileSync(join(defs, f), "utf8");
      const str = (k) => toml.match(new RegExp(`^${k}\\s*=\\s*"([^"]*)"`, "m"))?.[1] || "";
      const list = (k) => [...(toml.match(new RegExp(`^${k}\\s*=\\s*\\[([^\\]]*)\\]`, "m"))?.[1] || "").matchAll(/"([^"]*)"/g)].map((m) => m[1]);
      return { id: str("id"), vscode_id: str("vscode_id"), aliases: list("aliases"), extensions: list("extensions") };
    });
}

test("every highlighter in the table loads", async () => {
  for (const key of Object.keys(loaders)) {
    const ext = await loaders[key]();
    assert.ok(ext && (Array.isArray(ext) ? ext.length : typeof ext === "object"), `${key} gave ${ext}`);
  }
});

test("the main languages of languages/defs are highlighted", async () => {
  const byId = new Map(readDefs().map((l) => [l.id, l]));
  assert.ok(byId.has("python"), `no python among ${[...byId.keys()]}`);
  const want = { python: "python", javascript: "javascript", c: "c", java: "java", go: "go", rust: "rust", php: "php" };
  for (const [id, key] of Object.entries(want)) {
    if (!byId.has(id)) continue; // not defined (yet)
    assert.equal(modeKey(byId.get(id)), key, id);
  }
  for (const [id, key] of Object.entries({ typescript: "typescript", cpp: "cpp", sqlite: "sqlite", bash: "bash", ruby: "ruby" })) {
    if (byId.has(id)) assert.equal(modeKey(byId.get(id)), key, id);
  }
  const plain = [...byId.values()].filter((l) => !modeKey(l)).map((l) => l.id);
  assert.ok(plain.length <= byId.size / 4, `too many languages without highlighting: ${plain}`);
});

test("languages are matched by id, VS Code id, alias or extension; others are plain text", async () => {
  assert.equal(modeKey({ id: "nolang", aliases: [], extensions: [".zzz"] }), "");
  assert.deepEqual(await loadMode({ id: "nolang" }), []);
  assert.equal(modeKey({ id: "x", vscode_id: "", aliases: ["Python"], extensions: [] }), "python");
  assert.equal(modeKey({ id: "x", aliases: [], extensions: [".RS"] }), "rust");
  assert.equal(modeKey({ id: "x", aliases: [], extensions: [".zzz", ".rb"] }), "ruby");
  assert.equal(modeKey({ id: "sqlite", vscode_id: "sql", aliases: [], extensions: [".sql"] }), "sqlite");
});
