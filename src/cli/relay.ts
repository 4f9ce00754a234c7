import { startRelay } from "../inspect/relay.js";
import { EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";

/** The page at the relay's address: Stately's inspector (online), fed from the local relay. */
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
  if (ready) frame.contentWindow.postMessage(data, "*");
  else waiting.push(data);
};
</script></body></html>`;
}

/** `statenet inspect`: the relay in the foreground until SIGINT or SIGTERM. */
export async function runRelay(port: number): Promise<number> {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay({ port, page: inspectorBridge });
  } catch (error) {
    process.stderr.write(
      `statenet: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}\n`,
    );
    return EXIT_FAILURE;
  }
  process.stdout.write(
    [
      `statenet inspection relay on ${relay.url}`,
      `  daemon:  statenet run --config FILE --inspect=${relay.url}`,
      `  browser: ${relay.httpUrl} (Stately's inspector; the browser needs the Internet for it)`,
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.on("SIGINT", () => resolve());
    process.on("SIGTERM", () => resolve());
  });
  await relay.close();
  return EXIT_OK;
}
