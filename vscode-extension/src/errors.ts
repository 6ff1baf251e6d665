// Turning failures into sentences a user can act on. No vscode import (unit-tested as is).

/**
 * The server could not be started (no binary at sandrun.path, not executable, …): the user fixes
 * it in the sandrun.path setting, so it is shown with a button that opens it.
 */
export class StartError extends Error {}

/** One sentence on why `command lsp` did not start and what to do. */
export function startFailure(command: string, why: string): string {
  const fix = 'install sandrun (make build writes bin/sandrun) or set sandrun.path to the binary';
  if (/ENOENT/.test(why)) {
    return command.includes('/')
      ? `could not start "${command} lsp": ${command} does not exist; ${fix}`
      : `could not start "${command} lsp": there is no ${command} on PATH; ${fix}`;
  }
  if (/EACCES/.test(why)) {
    return `could not start "${command} lsp": ${command} is not executable (chmod +x it, or ${fix})`;
  }
  return `could not start "${command} lsp" (${why}); ${fix}`;
}

/** The message of anything thrown. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/**
 * The server's refusal to run a document whose language it cannot tell, in an editor's words: the
 * server's sentence tells an LSP client to pass "languageId", which a VS Code user does by
 * choosing the editor's language mode. Any other error is its message as it is.
 */
export function runFailure(err: unknown, doc: { languageId: string; fileName: string }): string {
  const text = errorText(err);
  if (!/^cannot tell which language /.test(text)) {
    return text;
  }
  const name = doc.fileName.slice(Math.max(doc.fileName.lastIndexOf('/'), doc.fileName.lastIndexOf('\\')) + 1) || doc.fileName;
  return `cannot tell which language ${name} is in (its language mode is "${doc.languageId}"): choose one with Change Language Mode (Ctrl+K M, or the language in the status bar), give the file a known extension, or start it with a shebang line such as "#!/usr/bin/env python3"`;
}
