import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CONTROL_SOCKET_NAME } from "../control/protocol.js";

/**
 * Where a daemon's control socket is, for the CLI's client commands. Kept
 * apart from the configuration's schemas: a client only needs `tmpDir`, and
 * validating the whole file would load every technology's schema (and the
 * file's technology modules) to answer `statenet info` (issue 17: a client
 * command starts in well under 0.15 s).
 */

/** The configuration's `tmpDir` when the file leaves it out (the schema's default; a test keeps them equal). */
export const DEFAULT_TMP_DIR = "/var/run/statenet";

/** A bad `--config` for a client command: nothing was sent. */
export class ControlSocketPathError extends Error {
  override name = "ControlSocketPathError";
}

/** The control socket's private directory under the configuration's tmpDir. */
export function controlDirectory(tmpDir: string): string {
  return join(tmpDir, "control");
}

/** The `controlGroup` socket's directory: read-only requests from the group's members. */
export function controlGroupDirectory(tmpDir: string): string {
  return join(tmpDir, "control-group");
}

/** The `controlGroup` socket beside the private one at `socketPath` (see controlGroupDirectory). */
export function groupSocketBeside(socketPath: string): string {
  return join(controlGroupDirectory(dirname(dirname(socketPath))), basename(socketPath));
}

/** The socket of a daemon run with `tmpDir`. */
export function controlSocketPath(tmpDir: string): string {
  return join(controlDirectory(tmpDir), CONTROL_SOCKET_NAME);
}

/**
 * The socket of a daemon run with the configuration file at `configPath`,
 * or with the default tmpDir. Reads the file's `tmpDir` only, checked as the
 * schema checks it; the daemon validated the rest when it loaded the file.
 */
export async function controlSocketOf(configPath: string | undefined): Promise<string> {
  if (configPath === undefined) return controlSocketPath(DEFAULT_TMP_DIR);
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ControlSocketPathError(`(file): cannot read ${configPath}: ${code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ControlSocketPathError(
      `(file): ${configPath} is not JSON: ${(error as Error).message}`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ControlSocketPathError(`(root): ${configPath} is not a JSON object`);
  }
  const { tmpDir } = json as { tmpDir?: unknown };
  if (tmpDir === undefined) return controlSocketPath(DEFAULT_TMP_DIR);
  if (typeof tmpDir !== "string" || !tmpDir.startsWith("/")) {
    throw new ControlSocketPathError("tmpDir: must be an absolute path");
  }
  return controlSocketPath(tmpDir);
}
