import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsdProgram } from "../../src/dns-server/dnsd.js";
import { startInProcessDnsd } from "../../src/dns-server/in-process-dnsd.js";
import { DnsRcode, decodeMessage } from "../../src/dns-server/message.js";
import { compileZone } from "../../src/dns-server/responder.js";
import { type DnsUdpServer, startDnsUdpServer } from "../../src/dns-server/udp-server.js";
import { processExit } from "../../src/linux/terminate.js";
import { silentLogger } from "../../src/log.js";
import { waitUntil } from "../support/wait.js";
import { dottedQuad, query } from "./query.js";

/** Sends one datagram to 127.0.0.1:port and resolves with the first reply. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = createSocket("udp4");
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply within 5 s")), 5_000);
    socket.once("message", (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.send(bytes, port, "127.0.0.1");
  }).finally(() => socket.close());
}

describe("DNS server on a UDP socket (127.0.0.1)", () => {
  let server: DnsUdpServer;
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await startDnsUdpServer({
      address: "127.0.0.1",
      port: 0,
      zone: compileZone([{ name: "device.lan", address: "192.0.2.1" }], 120),
      warn: (message) => warnings.push(message),
    });
  });

  afterAll(() => server?.close());

  it("answers a query and goes on after garbage", async () => {
    const garbage = createSocket("udp4");
    await new Promise<void>((resolve) =>
      garbage.send(Buffer.from([1, 2, 3]), server.port, "127.0.0.1", () => resolve()),
    );
    garbage.close();
    const reply = decodeMessage(await exchange(server.port, query("DEVICE.lan", 1, { id: 9 })));
    expect(reply.header.id).toBe(9);
    expect(reply.answers.map((answer) => dottedQuad(answer.data))).toEqual(["192.0.2.1"]);
    expect(warnings).toEqual([]);
  });

  it("rejects an address it cannot bind", async () => {
    await expect(
      startDnsUdpServer({ address: "127.0.0.1", port: server.port, zone: compileZone([], 1) }),
    ).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("the DNS server in the manager's process", () => {
  it("keeps trying while it cannot bind, then serves", async () => {
    // The port taken stands for an address the interface does not have yet.
    const squatter = await startDnsUdpServer({
      address: "127.0.0.1",
      port: 0,
      zone: compileZone([], 1),
    });
    const dnsd = startInProcessDnsd({
      ifname: "usb0",
      address: "127.0.0.1",
      port: squatter.port,
      ttlSeconds: 60,
      records: [{ name: "device.lan", address: "192.0.2.9" }],
      logger: silentLogger(),
      retryDelayMs: 20,
    });
    try {
      await waitUntil("two failed binds", () => dnsd.failures >= 2);
      expect(dnsd.port).toBeUndefined();
      await squatter.close();
      const port = await waitUntil("the server bound", () => dnsd.port);
      const reply = decodeMessage(await exchange(port, query("device.lan")));
      expect(reply.answers.map((answer) => dottedQuad(answer.data))).toEqual(["192.0.2.9"]);
    } finally {
      await dnsd.stop();
      await squatter.close().catch(() => undefined);
    }
    expect(dnsd.port).toBeUndefined();
  });
});

describe("the dnsd program", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-dnsd-program-"));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(config: unknown) {
    const path = join(dir, "dnsd.json");
    await writeFile(path, JSON.stringify(config));
    const child = execa(process.execPath, [...dnsdProgram(), path], {
      stdin: "ignore",
      buffer: false,
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = processExit(child);
    const firstLine = new Promise<string | undefined>((resolve) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.once("line", resolve);
      lines.once("close", () => resolve(undefined));
    });
    return { child, exit, firstLine, stderr: () => stderr };
  }

  it("serves the names of its config file until SIGTERM, then exits 0", async () => {
    const program = await run({
      address: "127.0.0.1",
      port: 0,
      ttlSeconds: 30,
      records: [{ name: "device.lan", address: "192.0.2.7" }],
    });
    const line = await program.firstLine;
    const port = Number(/:(\d+),/.exec(line ?? "")?.[1]);
    expect(line, program.stderr()).toMatch(/^dnsd: listening on 127\.0\.0\.1:\d+, 1 records$/);
    const reply = decodeMessage(await exchange(port, query("device.lan")));
    expect(reply.answers.map((answer) => [dottedQuad(answer.data), answer.ttl])).toEqual([
      ["192.0.2.7", 30],
    ]);
    expect(decodeMessage(await exchange(port, query("other.example"))).header.rcode).toBe(
      DnsRcode.REFUSED,
    );
    program.child.kill("SIGTERM");
    expect(await program.exit).toMatchObject({ code: 0 });
  });

  it("exits 1 naming the field of a bad config", async () => {
    const program = await run({ address: "127.0.0.1", port: 0, ttlSeconds: 30, records: [{}] });
    expect(await program.exit).toMatchObject({ code: 1 });
    expect(program.stderr()).toMatch(/records\.0\.name/);
  });
});
