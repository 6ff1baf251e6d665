// Talks to sandrun's /api/v1: the language list, and runs — streamed over a WebSocket, or with
// one POST when the WebSocket cannot connect (a proxy that does not pass upgrades, say).

// reach is fetch, except that a request that got no answer at all (the server stopped, the network
// is down) rejects with a sentence that says so, instead of the browser's "Failed to fetch".
async function reach(url, init) {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    const err = new Error(`the server at ${location.host} does not answer (${e.message}): sandrun serve may have stopped`);
    err.unreachable = true;
    throw err;
  }
}

// fetchLanguages resolves to the array of /api/v1/languages or rejects with a readable Error.
export async function fetchLanguages() {
  const res = await reach("api/v1/languages", { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(await errorText(res));
  return res.json();
}

// submitJob starts req as a job of /api/v1/jobs and resolves to its id, or rejects with a
// readable Error.
export async function submitJob(req) {
  const res = await reach("api/v1/jobs", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(req),
  });
  if (!res.ok) throw new Error(await errorText(res));
  return (await res.json()).id;
}

// jobKept resolves to whether the server still holds job id (GET /api/v1/jobs/{id}), or rejects
// with a readable Error.
export async function jobKept(id) {
  const res = await reach(`api/v1/jobs/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(await errorText(res));
  return true;
}

// waitJob resolves to job id as GET /api/v1/jobs/{id} shows it once it is done, or to null when
// the server does not hold it (any more); it rejects with a readable Error.
export async function waitJob(id) {
  for (;;) {
    const res = await reach(`api/v1/jobs/${encodeURIComponent(id)}?wait=true`, { headers: { Accept: "application/json" } });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(await errorText(res));
    const job = await res.json();
    if (job.state === "done") return job;
  }
}

async function errorText(res) {
  try {
    const body = await res.json();
    if (body && body.error) return body.error;
  } catch {
    // not JSON: fall through
  }
  return `the server answered ${res.status} ${res.statusText}`;
}

function streamURL() {
  const u = new URL("api/v1/run/stream", location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

// startRun runs req ({language, source, stdin, args}) and reports through the callbacks:
// onEvent(stage, stream, text) while it runs, onNotice(message) for a problem that does not end
// the run, then exactly one of onResult(result, job) or onError(message). With interactive, the
// program's stdin stays open after req.stdin and send(text, eof) feeds it (WebSocket only: over
// the POST fallback send reports false). With keep, the server keeps the run as a job of
// /api/v1/jobs and job is its id ("" when it did not, and always over the POST fallback).
// stop() kills the run; after it no callback fires.
export function startRun(req, { interactive = false, keep = false, onEvent, onNotice, onResult, onError }) {
  let done = false;
  let job = "";
  let ws = null;
  let abort = null;
  const finish = (fn, arg) => {
    if (done) return;
    done = true;
    if (ws) ws.close(1000);
    fn(arg, job);
  };
  const post = async () => {
    abort = new AbortController();
    try {
      const res = await reach("api/v1/run", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(req),
        signal: abort.signal,
      });
      if (!res.ok) return finish(onError, await errorText(res));
      finish(onResult, await res.json());
    } catch (e) {
      if (!done && e.name !== "AbortError") finish(onError, e.unreachable ? e.message : `the run request failed: ${e.message}`);
    }
  };

  let opened = false;
  try {
    ws = new WebSocket(streamURL());
  } catch {
    ws = null;
    post();
  }
  if (ws) {
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({ type: "run", interactive, ...(keep ? { job: true } : {}), ...req }));
    };
    ws.onmessage = (m) => {
      if (done) return;
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return finish(onError, "the server sent a message that is not JSON");
      }
      if (typeof msg.job === "string") job = msg.job;
      handleMessage(msg, { onEvent, onNotice, finish, onResult, onError });
    };
    ws.onclose = (e) => {
      if (done) return;
      if (!opened) {
        // Never connected: fall back to a plain POST (whole output at the end, no live input).
        ws = null;
        if (interactive) onNotice("Live input needs a WebSocket, which could not connect; the run gets the Input box only.");
        post();
        return;
      }
      finish(onError, `the connection closed before the result arrived${e.reason ? ": " + e.reason : ""}`);
    };
  }

  return {
    send(text, eof = false) {
      if (done || !interactive || !ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify({ type: "stdin", data: text, eof }));
      return true;
    },
    stop() {
      if (done) return;
      done = true;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "stop" }));
      if (ws) ws.close(1000, "stopped");
      if (abort) abort.abort();
    },
  };
}

// handleMessage applies one server message of the stream protocol (documented in web/stream.go):
// {"type":"started","job"?}, {"type":"output","stage","stream","data"} with data as text,
// {"type":"result","result","job"?}, {"type":"error","error","field","code"}. An error about "stdin"
// (input the server refused) leaves the run going; every other error ends it.
function handleMessage(msg, { onEvent, onNotice, finish, onResult, onError }) {
  switch (msg.type) {
    case "output":
      onEvent(msg.stage || "run", msg.stream || "stdout", msg.data || "");
      break;
    case "result":
      finish(onResult, msg.result);
      break;
    case "error":
      if (msg.field === "stdin") onNotice(msg.error);
      else finish(onError, msg.error || "the server reported an error");
      break;
  }
}
