import { createInterface } from "node:readline";
import type { HelperMessage, HelperReply } from "./prober.js";
import { probeTcp } from "./tcp-probe.js";

/**
 * The probe helper: started by `createProber({ netns })` inside a network
 * namespace (`ip netns exec NS node probe-helper.js`), it runs `probeTcp`
 * there for each JSON line on stdin and answers with one JSON line on stdout.
 * It exits when stdin closes, which is also what happens when the manager dies.
 */

const running = new Map<number, AbortController>();

function reply(message: HelperReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function runProbe(message: Extract<HelperMessage, { request: unknown }>): Promise<void> {
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    const result = await probeTcp(message.request, controller.signal);
    if (!controller.signal.aborted) reply({ id: message.id, result });
  } catch (error) {
    // A cancelled probe has nobody waiting for it.
    if (!controller.signal.aborted) reply({ id: message.id, error: String(error) });
  } finally {
    running.delete(message.id);
  }
}

function onLine(line: string): void {
  let message: HelperMessage;
  try {
    message = JSON.parse(line) as HelperMessage;
  } catch {
    process.stderr.write(`probe helper: not JSON: ${line.slice(0, 200)}\n`);
    return;
  }
  if (typeof message?.id !== "number") return;
  if ("cancel" in message) {
    running.get(message.id)?.abort();
    return;
  }
  void runProbe(message);
}

const input = createInterface({ input: process.stdin });
input.on("line", onLine);
// Stop at once: open probes keep the event loop alive until their timeout otherwise.
input.on("close", () => {
  for (const controller of running.values()) controller.abort();
});
