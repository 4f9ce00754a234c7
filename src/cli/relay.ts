import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_MACHINES } from "../../machines/index.js";
import { PortInUseError, type Relay, type RelayPage, startRelay } from "../inspect/relay.js";
import { EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";

/** The package's root: the source tree and the build sit at different depths below it. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Stately's inspector (online), fed from the local relay; statenet's own messages stay out. */
function inspectorBridge(relayUrl: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>statenet: Stately inspector</title>
<style>html,body,iframe{margin:0;width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="https://stately.ai/inspect"></iframe>
<script>
const frame = document.getElementById("inspector");
const waiting = [];
let ready = false;
addEventListener("message", (event) => {
  if (event.data && event.data.type === "@statelyai.connected") {
    ready = true;
    for (const data of waiting.splice(0)) frame.contentWindow.postMessage(data, "*");
  }
});
const socket = new WebSocket(${JSON.stringify(relayUrl)});
socket.onmessage = (message) => {
  const data = JSON.parse(message.data);
  if (!String(data.type).startsWith("@xstate.")) return;
  if (ready) frame.contentWindow.postMessage(data, "*");
  else waiting.push(data);
};
</script></body></html>`;
}

/** The visualizer (`/`), its files, the machine diagrams, and the Stately bridge (`/stately`). */
export function relayPages(relayUrl: string): Record<string, RelayPage> {
  const root = packageRoot();
  const page = (name: string, type: string): RelayPage => ({
    type,
    file: join(root, "visualize", "page", name),
  });
  const pages: Record<string, RelayPage> = {
    "/": page("index.html", "text/html; charset=utf-8"),
    "/app.js": page("app.js", "text/javascript; charset=utf-8"),
    "/style.css": page("style.css", "text/css; charset=utf-8"),
    "/stately": { type: "text/html; charset=utf-8", body: inspectorBridge(relayUrl) },
  };
  for (const { id } of ALL_MACHINES) {
    pages[`/diagrams/${id}.svg`] = {
      type: "image/svg+xml",
      file: join(root, "docs", "diagrams", `${id}.svg`),
    };
  }
  return pages;
}

/**
 * The relay with the visualizer's pages on 127.0.0.1:`port`, or undefined
 * when it cannot listen there, said in one line on stderr (a port in use is
 * a user's everyday mistake, not a crash). `portOption` is how the user
 * picks another port: `--port N` or `--visualize=PORT`.
 */
export async function startVisualizerRelay(
  port: number,
  portOption: string,
): Promise<Relay | undefined> {
  try {
    return await startRelay({ port, pages: relayPages });
  } catch (error) {
    process.stderr.write(
      error instanceof PortInUseError
        ? `statenet: ${error.message} (another program listens there: give another with ${portOption})\n`
        : `statenet: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}\n`,
    );
    return undefined;
  }
}

/** `statenet inspect` and `statenet visualize`: the relay in the foreground until SIGINT or SIGTERM. */
export async function runRelay(port: number, show: "stately" | "visualizer"): Promise<number> {
  const relay = await startVisualizerRelay(port, "--port N");
  if (!relay) return EXIT_FAILURE;
  // Listening before the address is printed: whoever reads it may signal at once, and a
  // signal that arrives before a listener exists takes the default action (death by it).
  const stopped = new Promise<void>((resolve) => {
    process.on("SIGINT", () => resolve());
    process.on("SIGTERM", () => resolve());
  });
  const browser =
    show === "visualizer"
      ? `${relay.httpUrl} (the visualizer; works offline)`
      : `${relay.httpUrl}stately (Stately's inspector; the browser needs the Internet for it)`;
  process.stdout.write(
    [
      `statenet inspection relay on ${relay.url}`,
      `  daemon:  statenet run --config FILE --inspect=${relay.url}`,
      `  browser: ${browser}`,
      "",
    ].join("\n"),
  );
  await stopped;
  await relay.close();
  return EXIT_OK;
}
