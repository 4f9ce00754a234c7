import { readFileSync } from "node:fs";
import { dnsdFileSchema } from "./dnsd-file.js";
import { compileZone } from "./responder.js";
import { startDnsUdpServer } from "./udp-server.js";

/**
 * The DNS server as a program: `node dnsd-main.js CONFIG.json`, started by
 * the manager (dnsd.ts) inside the interface's network namespace, where the
 * manager's own process cannot open a socket. It prints one line when it
 * listens; it exits 1 when it cannot (the supervisor starts it again later)
 * and 0 on SIGTERM.
 */

function fail(message: string): never {
  process.stderr.write(`dnsd: ${message}\n`);
  process.exit(1);
}

const [path] = process.argv.slice(2);
if (path === undefined) fail("usage: dnsd-main CONFIG.json");

let text: string;
try {
  text = readFileSync(path, "utf8");
} catch (error) {
  fail(`cannot read ${path}: ${(error as Error).message}`);
}
let json: unknown;
try {
  json = JSON.parse(text);
} catch {
  fail(`${path} is not JSON`);
}
const parsed = dnsdFileSchema.safeParse(json);
if (!parsed.success) {
  const [issue] = parsed.error.issues;
  fail(`${path}: ${issue?.path.join(".")}: ${issue?.message}`);
}
const { address, port, ttlSeconds, records } = parsed.data;

try {
  const server = await startDnsUdpServer({
    address,
    port,
    zone: compileZone(records, ttlSeconds),
    warn: (message) => process.stderr.write(`dnsd: ${message}\n`),
  });
  process.stdout.write(`dnsd: listening on ${address}:${server.port}, ${records.length} records\n`);
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => {
      void server.close().then(() => process.exit(0));
    });
  }
} catch (error) {
  fail(`cannot listen on ${address}:${port}: ${(error as Error).message}`);
}
