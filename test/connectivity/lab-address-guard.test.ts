import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INTERNET_HOSTS } from "../../src/connectivity/default-internet-hosts.js";
import {
  assertLabProbeRequest,
  isLabAddress,
  PublicProbeRefusedError,
} from "../../src/connectivity/lab-address-guard.js";
import { createProber } from "../../src/connectivity/prober.js";
import { probeTcp } from "../../src/connectivity/tcp-probe.js";
import { captureLogs } from "../support/capture-logs.js";

/**
 * Tests, demos and benchmarks run with STATENET_REQUIRE_NETNS=1 (test/setup.ts
 * sets it here too): a probe must never leave for the Internet, whatever a
 * configuration forgot.
 */

const LAB_ONLY = { STATENET_REQUIRE_NETNS: "1" };
const DEVICE = {};

describe("isLabAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "192.0.2.1",
    "198.51.100.255",
    "203.0.113.53",
    "198.18.0.1",
    "198.19.250.2",
    "::1",
    "::ffff:127.0.0.1",
    "2001:db8::53",
  ])("takes %s", (address) => {
    expect(isLabAddress(address)).toBe(true);
  });

  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "10.0.0.1",
    "192.168.1.1",
    "192.0.3.1",
    "198.17.255.255",
    "198.20.0.0",
    "203.0.114.1",
    "::ffff:1.1.1.1",
    "2606:4700:4700::1111",
    "localhost",
    "",
  ])("refuses %s", (address) => {
    expect(isLabAddress(address)).toBe(false);
  });
});

describe("assertLabProbeRequest", () => {
  const request = (targets: Array<{ host: string; port: number }>, nameServers: string[] = []) => ({
    targets,
    nameServers,
  });

  it("refuses every default host under STATENET_REQUIRE_NETNS=1, naming it", () => {
    for (const target of DEFAULT_INTERNET_HOSTS) {
      expect(() => assertLabProbeRequest(request([target]), LAB_ONLY)).toThrow(
        new PublicProbeRefusedError(`probe target ${target.host}:${target.port}`),
      );
    }
  });

  it("refuses a request of lab hosts with one public host among them", () => {
    const mixed = request([
      { host: "203.0.113.53", port: 53 },
      { host: "9.9.9.9", port: 53 },
    ]);
    expect(() => assertLabProbeRequest(mixed, LAB_ONLY)).toThrow(PublicProbeRefusedError);
  });

  it("checks the name servers only when a name is to be resolved", () => {
    const literal = request([{ host: "203.0.113.53", port: 53 }], ["8.8.8.8"]);
    expect(() => assertLabProbeRequest(literal, LAB_ONLY)).not.toThrow();
    const named = request([{ host: "internet.test", port: 53 }], ["192.0.2.1", "8.8.8.8:53"]);
    expect(() => assertLabProbeRequest(named, LAB_ONLY)).toThrow("name server 8.8.8.8:53");
    const local = request(
      [{ host: "internet.test", port: 53 }],
      ["127.0.0.1:5353", "[::1]:53", "198.51.100.1"],
    );
    expect(() => assertLabProbeRequest(local, LAB_ONLY)).not.toThrow();
    // A form setServers would not take either is not waved through.
    const odd = request([{ host: "internet.test", port: 53 }], ["dns.example"]);
    expect(() => assertLabProbeRequest(odd, LAB_ONLY)).toThrow(PublicProbeRefusedError);
  });

  it("lets a device (no STATENET_REQUIRE_NETNS) probe anything", () => {
    expect(() => assertLabProbeRequest(request([...DEFAULT_INTERNET_HOSTS]), DEVICE)).not.toThrow();
  });
});

/** A name server on loopback that answers every A query with `address`. */
function fakeNameServer(address: string) {
  const socket: UdpSocket = createSocket("udp4");
  socket.on("message", (query, peer) => {
    // Header (12 bytes), then the question: labels up to a zero byte, type, class.
    let end = 12;
    while (end < query.length && query[end] !== 0) end += (query[end] as number) + 1;
    const question = query.subarray(12, end + 5);
    const header = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    query.copy(header, 0, 0, 2);
    const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    const rdata = Buffer.from(address.split(".").map(Number));
    socket.send(Buffer.concat([header, question, answer, rdata]), peer.port, peer.address);
  });
  return socket;
}

describe("probes under STATENET_REQUIRE_NETNS=1", () => {
  let publicDns: UdpSocket;
  let labDns: UdpSocket;
  const server = (socket: UdpSocket) => `127.0.0.1:${socket.address().port}`;

  beforeAll(async () => {
    expect(process.env.STATENET_REQUIRE_NETNS).toBe("1");
    publicDns = fakeNameServer("1.1.1.1");
    labDns = fakeNameServer("127.0.0.1");
    await Promise.all(
      [publicDns, labDns].map(
        (socket) => new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve)),
      ),
    );
  });

  afterAll(() => {
    publicDns?.close();
    labDns?.close();
  });

  const request = (host: string, nameServers: string[] = []) => ({
    sourceAddress: "127.0.0.1",
    nameServers,
    targets: [{ host, port: 53 }],
    timeoutMs: 2_000,
  });

  it("rejects a public address before any socket opens", async () => {
    const sockets = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap");
    const before = sockets();
    await expect(probeTcp(request("1.1.1.1"))).rejects.toThrow(PublicProbeRefusedError);
    expect(sockets()).toEqual(before);
  });

  it("rejects a name that resolves to a public address, before its connect", async () => {
    const probe = probeTcp(request("internet.test", [server(publicDns)]));
    await expect(probe).rejects.toThrow("refusing to probe internet.test:53 (1.1.1.1)");
    // The same name resolved into the lab is probed as usual (port 53 is closed here: refused).
    const lab = await probeTcp(request("internet.test", [server(labDns)]));
    expect(lab.detail).toContain("internet.test:53 (127.0.0.1)");
  });

  it("fails the prober's probe and logs the refusal as an error", async () => {
    const { lines, logger } = captureLogs();
    const prober = createProber({ logger });
    try {
      await expect(prober.probe(request("8.8.8.8"))).rejects.toBeInstanceOf(
        PublicProbeRefusedError,
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 50, target: "probe target 8.8.8.8:53" }),
      );
    } finally {
      await prober.close();
    }
  });
});
