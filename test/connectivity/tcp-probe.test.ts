import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProber } from "../../src/connectivity/prober.js";
import {
  chooseTargets,
  type ProbeTarget,
  probeTargets,
  probeTcp,
} from "../../src/connectivity/tcp-probe.js";
import { silentLogger } from "../../src/log.js";

const targets = (...hosts: string[]): ProbeTarget[] => hosts.map((host) => ({ host, port: 53 }));
const never = () => false;

describe("probeTargets", () => {
  const never = () => false;
  it("repeats hosts when there are fewer than probes, each a chance of its own", () => {
    const one = [{ host: "203.0.113.53", port: 53 }];
    expect(probeTargets(one, 3, 0, never)).toEqual([one[0], one[0], one[0]]);
    const two = [...one, { host: "198.51.100.53", port: 443 }];
    expect(probeTargets(two, 3, 1, never)).toEqual([two[1], two[0], two[1]]);
    expect(probeTargets(one, 3, 0, () => true)).toEqual([]);
  });
});

describe("chooseTargets", () => {
  const all = targets("a", "b", "c", "d");

  it("rotates through the list from the cursor", () => {
    expect(chooseTargets(all, 2, 0, never)).toEqual(targets("a", "b"));
    expect(chooseTargets(all, 2, 3, never)).toEqual(targets("d", "a"));
    expect(chooseTargets(all, 3, 9, never)).toEqual(targets("b", "c", "d"));
    expect(chooseTargets(all, 1, -1, never)).toEqual(targets("d"));
  });

  it("skips hosts on the interface's own subnet", () => {
    expect(chooseTargets(all, 2, 0, (host) => host === "b")).toEqual(targets("a", "c"));
  });

  it("returns each target once, at most count, and nothing from nothing", () => {
    expect(chooseTargets(targets("a", "a", "b"), 5, 0, never)).toEqual(targets("a", "b"));
    expect(chooseTargets(all, 9, 0, (host) => host !== "c")).toEqual(targets("c"));
    expect(chooseTargets([], 2, 0, never)).toEqual([]);
    expect(chooseTargets(all, 0, 0, never)).toEqual([]);
  });

  it("tells ports apart", () => {
    const both = [
      { host: "a", port: 53 },
      { host: "a", port: 443 },
    ];
    expect(chooseTargets(both, 2, 0, never)).toEqual(both);
  });
});

/** Sockets and DNS queries of this process, to prove a probe leaves none behind. */
async function openHandles(): Promise<string[]> {
  await serverIdle();
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind === "TCPSocketWrap" || kind === "QueryReqWrap" || kind === "UDPWrap");
}

/** The server's ends of accepted connections: they close once the probe has closed its end. */
const accepted = new Set<Promise<unknown>>();
/** Bounded, so that a leaked socket fails the handle comparison instead of hanging the test. */
const serverIdle = () => Promise.race([Promise.all(accepted), delay(1_000)]);

describe("probeTcp on loopback", () => {
  let server: Server;
  let openPort: number;
  let closedPort: number;
  /** A name server that never answers: a name to resolve hangs until the deadline. */
  let silentDns: UdpSocket;
  let silentDnsServer: string;

  beforeAll(async () => {
    // Keeps each connection open: only the probe closing its end closes it.
    server = createServer((socket) => {
      // Not events.once: the probe closes with a reset, an error on this end, and once rejects on it.
      accepted.add(new Promise((closed) => socket.once("close", closed)));
      socket.on("error", () => {});
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    openPort = (server.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    silentDns = createSocket("udp4");
    await new Promise<void>((resolve) => silentDns.bind(0, "127.0.0.1", resolve));
    silentDnsServer = `127.0.0.1:${silentDns.address().port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    silentDns?.close();
  });

  const request = (probeTargets: ProbeTarget[], timeoutMs = 1_000) => ({
    sourceAddress: "127.0.0.1",
    nameServers: [silentDnsServer],
    targets: probeTargets,
    timeoutMs,
  });

  it("succeeds on a connect and says which host answered", async () => {
    const before = await openHandles();
    const result = await probeTcp(request([{ host: "127.0.0.1", port: openPort }]));
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${openPort} connected in [\\d.]+ ms$`),
    );
    expect(result.rttMs).toBeGreaterThanOrEqual(0);
    expect(await openHandles()).toEqual(before);
  });

  it("counts a refused connection as reachable", async () => {
    const result = await probeTcp(request([{ host: "127.0.0.1", port: closedPort }]));
    expect(result).toMatchObject({ ok: true });
    expect(result.detail).toContain("refused (reachable)");
  });

  it("counts what it put on the wire, as Ethernet frames", async () => {
    // SYN and RST.
    const refused = await probeTcp(request([{ host: "127.0.0.1", port: closedPort }]));
    expect(refused.bytes).toBe(78 + 64);
    // SYN, SYN-ACK, ACK, and a reset of ours rather than a FIN exchange.
    const connected = await probeTcp(request([{ host: "127.0.0.1", port: openPort }]));
    expect(connected.bytes).toBe(78 + 78 + 70 + 64);
    // A name asked of a server that never answers: the query and, as far as we know, an answer.
    const unresolved = await probeTcp(request([{ host: "hangs.test", port: 53 }], 100));
    expect(unresolved.bytes).toBe(2 * (78 + "hangs.test".length));
  });

  it("stops the other targets as soon as one answers", async () => {
    const before = await openHandles();
    const started = performance.now();
    const result = await probeTcp(
      request([
        { host: "hangs.test", port: 53 },
        { host: "127.0.0.1", port: openPort },
      ]),
    );
    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
    expect(await openHandles()).toEqual(before);
  });

  it("fails at the deadline, giving every target's reason", async () => {
    const before = await openHandles();
    const started = performance.now();
    const result = await probeTcp(request([{ host: "hangs.test", port: 53 }], 300));
    const elapsed = performance.now() - started;
    // The name's resolution waits the probe's time for an answer, then gives up.
    expect(result).toMatchObject({
      ok: false,
      detail: "nothing reachable from 127.0.0.1: hangs.test:53 name not resolved (ETIMEOUT)",
    });
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(800);
    expect(await openHandles()).toEqual(before);
  });

  it("fails at once when every target fails at once", async () => {
    const result = await probeTcp({
      sourceAddress: "127.0.0.1",
      nameServers: [],
      targets: [
        { host: "needs-dns.test", port: 53 },
        { host: "127.0.0.1", port: 70_000 },
      ],
      timeoutMs: 5_000,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(
      "nothing reachable from 127.0.0.1: needs-dns.test:53 name not resolved (no name servers); " +
        "127.0.0.1:70000 ERR_SOCKET_BAD_PORT",
    );
  });

  it("fails a source address this host does not have", async () => {
    const result = await probeTcp({
      ...request([{ host: "127.0.0.1", port: openPort }]),
      sourceAddress: "192.0.2.250",
    });
    expect(result).toEqual({
      ok: false,
      detail: `nothing reachable from 192.0.2.250: 127.0.0.1:${openPort} EADDRNOTAVAIL`,
      // Nothing left the host.
      bytes: 0,
    });
  });

  it("has nothing to do without targets", async () => {
    expect(await probeTcp(request([]))).toEqual({ ok: false, detail: "no probe targets" });
  });

  it("cancels everything when aborted", async () => {
    const before = await openHandles();
    const controller = new AbortController();
    const probe = probeTcp(request([{ host: "hangs.test", port: 53 }], 5_000), controller.signal);
    setTimeout(() => controller.abort(new Error("checker stopped")), 20);
    await expect(probe).rejects.toThrow("checker stopped");
    expect(await openHandles()).toEqual(before);
    const aborted = AbortSignal.abort(new Error("already"));
    await expect(probeTcp(request([]), aborted)).rejects.toThrow("already");
  });

  it("runs in this process when the prober has no namespace", async () => {
    const prober = createProber({ logger: silentLogger() });
    const result = await prober.probe(request([{ host: "127.0.0.1", port: openPort }]));
    expect(result.ok).toBe(true);
    await prober.close();
  });
});
