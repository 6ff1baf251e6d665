// Share links: a snippet (language, code, stdin, args) in the URL fragment, so it never reaches
// the server and works offline. Format: #lang=ID&code=B64&stdin=B64&args=B64[&job=ID], where
// B64 is the UTF-8 text in unpadded base64url (RFC 4648 §5). Empty fields are left out. job,
// when the user shared the result too, is the id of a job of /api/v1/jobs that ran the snippet:
// the page shows that job's result (a link of only #job=ID shows the result alone).

export function encodeB64url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// decodeB64url throws on text that is not base64url or not UTF-8.
export function decodeB64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

// shareFragment returns "#lang=…&code=…" for a snippet.
export function shareFragment({ lang, code, stdin, args, job }) {
  const p = new URLSearchParams();
  p.set("lang", lang);
  p.set("code", encodeB64url(code));
  if (stdin) p.set("stdin", encodeB64url(stdin));
  if (args) p.set("args", encodeB64url(args));
  if (job) p.set("job", job);
  return "#" + p.toString();
}

const jobID = /^[A-Za-z0-9_-]{1,64}$/;

// parseFragment returns the snippet in a URL fragment, null when the fragment holds none, or
// throws an Error that says which part is broken.
export function parseFragment(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  if (!p.has("lang") && !p.has("code") && !p.has("job")) return null;
  const field = (name) => {
    const v = p.get(name);
    if (!v) return "";
    try {
      return decodeB64url(v);
    } catch {
      throw new Error(`the shared link's ${name} is not valid base64url UTF-8 text`);
    }
  };
  const snip = { lang: p.get("lang") || "", code: field("code"), stdin: field("stdin"), args: field("args") };
  if (p.has("job")) {
    if (!jobID.test(p.get("job"))) throw new Error("the shared link's job is not a job id");
    snip.job = p.get("job");
  }
  return snip;
}

// reuseRun decides whether a share link with the result may name last, the run the user last
// watched ({lang, runtime, code, stdin, args, interactive, kept, running, finished, job}; null before any
// run), for the snippet now on the page ({lang, runtime, code, stdin, args}). It returns
// {job} to reuse it, or {reason}: why the link needs a new run, as the end of a sentence.
export function reuseRun(last, now) {
  if (!last) return { reason: "nothing was run yet" };
  if (last.lang !== now.lang || (last.runtime || "") !== (now.runtime || "")) return { reason: "the language changed since the last run" };
  if (last.code !== now.code) return { reason: "the code changed since the last run" };
  if (last.stdin !== now.stdin) return { reason: "the input changed since the last run" };
  if (last.args !== now.args) return { reason: "the arguments changed since the last run" };
  if (last.interactive) return { reason: "the last run took live input" };
  if (!last.kept) return { reason: 'the last run was made without "with result" ticked' };
  if (last.running) return { reason: "the last run is still running" };
  if (!last.finished) return { reason: "the last run did not finish" };
  if (!last.job) return { reason: "the server did not keep the last run" };
  return { job: last.job };
}
