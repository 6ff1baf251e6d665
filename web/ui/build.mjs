// Bundles the page (src/, index.html, style.css, theme.js, favicon.svg) into ../static, which the Go
// server embeds. Run it with `make web`; `make web-check` rebuilds into a temporary folder and
// diffs. Usage: node build.mjs [--outdir DIR]
//
// It also writes build.json with a hash of every file under web/ui (node_modules aside); the Go
// test web/static_test.go recomputes that hash without Node and fails when the bundle is stale.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ui = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outdir = args[0] === "--outdir" && args[1] ? args[1] : join(ui, "..", "static");

// sourceHash must match sourceHash in web/static_test.go: for each file under web/ui except
// node_modules, sorted by slash-separated path, the line "<path> <sha256 of content>\n"; the hash
// of those lines.
function sourceHash() {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(relative(ui, p).split("\\").join("/"));
    }
  };
  walk(ui);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash("sha256");
  for (const f of files) {
    h.update(`${f} ${createHash("sha256").update(readFileSync(join(ui, f))).digest("hex")}\n`);
  }
  return h.digest("hex");
}

const hash = sourceHash();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await esbuild.build({
  entryPoints: { app: join(ui, "src", "main.js") },
  outdir,
  bundle: true,
  splitting: true, // each language's highlighter is a chunk loaded when first picked
  format: "esm",
  minify: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "eof",
  logLevel: "warning",
});
await esbuild.build({
  entryPoints: [join(ui, "style.css")],
  outfile: join(outdir, "style.css"),
  bundle: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(join(ui, "theme.js"), join(outdir, "theme.js"));
copyFileSync(join(ui, "favicon.svg"), join(outdir, "favicon.svg"));
// The short hash in the asset URLs makes browsers fetch a new bundle after an upgrade.
const html = readFileSync(join(ui, "index.html"), "utf8").replaceAll("{{version}}", hash.slice(0, 12));
writeFileSync(join(outdir, "index.html"), html);
writeFileSync(join(outdir, "build.json"), JSON.stringify({ source_sha256: hash }, null, 2) + "\n");
