import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { waitUntil } from "./wait.js";

/** Programs the tests run inside lab namespaces, stopped by their own pids. */

export interface Started {
  child: ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

/** Starts a program in a namespace and, given `ready`, waits until it prints a matching line. */
export async function startIn(
  ns: string,
  file: string,
  args: string[],
  ready?: (line: string) => boolean,
): Promise<Started> {
  const child = spawn("ip", ["netns", "exec", ns, file, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  const lines: string[] = [];
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "close");
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    process.kill(child.pid, "SIGTERM");
    await exited;
  };
  if (ready) {
    await waitUntil(`${file} ready in ${ns}`, () => {
      if (child.exitCode !== null) throw new Error(`${file} exited: ${stderr}`);
      return lines.some(ready);
    }).catch(async (error) => {
      await stop();
      throw new Error(`${(error as Error).message} ${stderr}`);
    });
  }
  return { child, lines, stop };
}

/**
 * Node servers on the internet host: `greet` ports say hello and hang up,
 * `echo` ports echo every line (long-lived connections for passive evidence).
 */
export function startInternetServer(
  ns: string,
  host: string,
  ports: { greet?: readonly number[]; echo?: readonly number[] },
): Promise<Started> {
  const script = `
const net = require("node:net");
const ports = ${JSON.stringify({ greet: ports.greet ?? [], echo: ports.echo ?? [] })};
const total = ports.greet.length + ports.echo.length;
let listening = 0;
const ready = () => { if (++listening === total) console.log("ready"); };
for (const port of ports.greet) net.createServer((s) => { s.on("error", () => {}); s.end("hi\\n"); }).listen(port, ${JSON.stringify(host)}, ready);
for (const port of ports.echo) net.createServer((s) => { s.on("error", () => {}); s.pipe(s); }).listen(port, ${JSON.stringify(host)}, ready);
`;
  return startIn(ns, process.execPath, ["-e", script], (line) => line === "ready");
}

/** A client on the device: one long-lived connection from `source`; lines written to stdin are echoed to `lines`. */
export function startEchoClient(
  ns: string,
  source: string,
  server: { host: string; port: number },
): Promise<Started> {
  const script = `
const net = require("node:net");
const s = net.connect({ host: ${JSON.stringify(server.host)}, port: ${server.port}, localAddress: ${JSON.stringify(source)} });
s.on("connect", () => console.log("ready"));
s.on("error", (e) => { console.error(e.message); process.exit(1); });
s.pipe(process.stdout);
process.stdin.pipe(s);
`;
  return startIn(ns, process.execPath, ["-e", script], (line) => line === "ready");
}
