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
