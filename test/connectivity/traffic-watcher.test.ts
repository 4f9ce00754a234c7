import { afterEach, describe, expect, it, vi } from "vitest";
import type { TcpSocketInfo } from "../../src/connectivity/passive-evidence.js";
import { evidenceFor, TrafficWatcher } from "../../src/connectivity/traffic-watcher.js";
import type { LinkAddress } from "../../src/linux/link-state.js";
import { silentLogger } from "../../src/log.js";
import { fakeRunner } from "../support/fake-runner.js";

const ETH0: LinkAddress[] = [
  { family: "inet6", address: "fe80::1", prefixLength: 64 },
  { family: "inet", address: "192.0.2.10", prefixLength: 24 },
];

function socket(remote: string, bytes: number, retrans = 0): TcpSocketInfo {
  return {
    local: "192.0.2.10:40000",
    remote,
    bytesSent: bytes,
    bytesReceived: bytes,
    retrans,
  };
}

/** `ss` output for the sockets, as readTcpSockets parses it. */
function ssText(sockets: readonly TcpSocketInfo[]): string {
  return sockets
    .map(
      (entry) =>
        `0 0 ${entry.local} ${entry.remote}\n\t bytes_sent:${entry.bytesSent} bytes_received:${entry.bytesReceived} retrans:0/${entry.retrans}`,
    )
    .join("\n");
}

describe("evidenceFor", () => {
  it("counts traffic to an off-subnet host from any of the interface's IPv4 addresses", () => {
    const before = [socket("203.0.113.53:443", 100)];
    expect(evidenceFor(before, [socket("203.0.113.53:443", 200)], ETH0)).toBe("seen");
  });

  it("ignores peers on the interface's own subnet and on loopback", () => {
    const before = [socket("192.0.2.1:22", 100), socket("127.0.0.1:80", 100)];
    const after = [socket("192.0.2.1:22", 200), socket("127.0.0.1:80", 200)];
    expect(evidenceFor(before, after, ETH0)).toBe("none");
  });

  it("reports a stall only when nothing flows", () => {
    const before = [socket("203.0.113.53:443", 100), socket("198.51.100.7:443", 100)];
    const stuck = { ...socket("203.0.113.53:443", 100), bytesSent: 150, retrans: 2 };
    expect(evidenceFor(before, [stuck, socket("198.51.100.7:443", 100)], ETH0)).toBe("stalled");
    expect(evidenceFor(before, [stuck, socket("198.51.100.7:443", 300)], ETH0)).toBe("seen");
  });

  it("has no evidence for an interface without IPv4 addresses from IPv4 sockets", () => {
    const inet6Only = ETH0.filter((address) => address.family === "inet6");
    expect(evidenceFor([], [socket("203.0.113.53:443", 100)], inet6Only)).toBe("none");
  });
});

describe("evidenceFor over IPv6", () => {
  const WLAN0: LinkAddress[] = [
    { family: "inet", address: "198.51.100.10", prefixLength: 24 },
    { family: "inet6", address: "2001:db8:1::10", prefixLength: 64 },
    { family: "inet6", address: "fe80::10", prefixLength: 64 },
  ];
  const v6 = (local: string, remote: string, bytes: number, retrans = 0): TcpSocketInfo => ({
    local,
    remote,
    bytesSent: bytes,
    bytesReceived: bytes,
    retrans,
  });
  const from = "[2001:db8:1::10]:40000";

  it("counts IPv6 traffic to a host beyond the interface's prefix", () => {
    const before = [v6(from, "[2001:db8:99::53]:443", 100)];
    const after = [v6(from, "[2001:db8:99::53]:443", 200)];
    expect(evidenceFor(before, after, WLAN0)).toBe("seen");
    // An interface with only IPv6 addresses has evidence too.
    const inet6Only = WLAN0.filter((address) => address.family === "inet6");
    expect(evidenceFor(before, after, inet6Only)).toBe("seen");
  });

  it("reports an IPv6 connection that only retransmits as stalled", () => {
    const before = [v6(from, "[2001:db8:99::53]:443", 100)];
    const stuck = { ...v6(from, "[2001:db8:99::53]:443", 100), bytesSent: 150, retrans: 2 };
    expect(evidenceFor(before, [stuck], WLAN0)).toBe("stalled");
  });

  it("ignores IPv6 peers on its own prefix, link-local, loopback and multicast", () => {
    const peers = [
      [from, "[2001:db8:1::1]:22"],
      ["[fe80::10]:40001", "[fe80::1]:22"],
      ["[::1]:40002", "[::1]:80"],
      [from, "[ff02::fb]:5353"],
    ];
    const before = peers.map(([local, remote]) => v6(local as string, remote as string, 100));
    const after = peers.map(([local, remote]) => v6(local as string, remote as string, 200));
    expect(evidenceFor(before, after, WLAN0)).toBe("none");
  });

  it("ignores IPv4 link-local peers", () => {
    const local = "198.51.100.10:40000";
    const before = [v6(local, "169.254.1.1:80", 100)];
    const after = [v6(local, "169.254.1.1:80", 200)];
    expect(evidenceFor(before, after, WLAN0)).toBe("none");
  });

  it("skips an address it cannot use instead of failing the sample", () => {
    const broken: LinkAddress[] = [
      { family: "inet6", address: "192.0.2.10", prefixLength: 64 },
      { family: "inet", address: "192.0.2.10", prefixLength: 40 },
      ...WLAN0,
    ];
    const before = [v6(from, "[2001:db8:99::53]:443", 100)];
    const after = [v6(from, "[2001:db8:99::53]:443", 200)];
    expect(evidenceFor(before, after, broken)).toBe("seen");
  });
});

describe("TrafficWatcher", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function readingsRunner(readings: TcpSocketInfo[][]) {
    let reads = 0;
    const runner = fakeRunner(async () => {
      const reading = readings[Math.min(reads, readings.length - 1)] ?? [];
      reads += 1;
      return { stdout: ssText(reading), stderr: "" };
    });
    return { runner, reads: () => reads };
  }

  it("reads IPv6 sockets from ss's output like IPv4 ones", async () => {
    vi.useFakeTimers();
    const local = "[2001:db8:1::10]:40000";
    const { runner } = readingsRunner([
      [{ ...socket("[2001:db8:99::53]:443", 100), local }],
      [{ ...socket("[2001:db8:99::53]:443", 200), local }],
    ]);
    const evidence: string[] = [];
    const watcher = new TrafficWatcher({
      runner,
      logger: silentLogger(),
      sampleMs: 1_000,
      watched: () => [
        {
          ifname: "wlan0",
          addresses: [{ family: "inet6", address: "2001:db8:1::10", prefixLength: 64 }],
        },
      ],
      onEvidence: (ifname, seen) => evidence.push(`${ifname} ${seen}`),
    });
    watcher.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(evidence).toEqual(["wlan0 seen"]);
    await watcher.stop();
  });

  it("samples only while an interface is watched, and reports what changed between samples", async () => {
    vi.useFakeTimers();
    const { runner, reads } = readingsRunner([
      [socket("203.0.113.53:443", 100)],
      [socket("203.0.113.53:443", 200)],
      [socket("203.0.113.53:443", 200)],
    ]);
    let watched: Array<{ ifname: string; addresses: LinkAddress[] }> = [];
    const evidence: string[] = [];
    const watcher = new TrafficWatcher({
      runner,
      logger: silentLogger(),
      sampleMs: 1_000,
      watched: () => watched,
      onEvidence: (ifname, seen) => evidence.push(`${ifname} ${seen}`),
    });
    watcher.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(reads()).toBe(0);
    watched = [{ ifname: "eth0", addresses: ETH0 }];
    await vi.advanceTimersByTimeAsync(3_000);
    // The first sample is the baseline; the second shows traffic; the third nothing new.
    expect(reads()).toBe(3);
    expect(evidence).toEqual(["eth0 seen"]);
    await watcher.stop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(reads()).toBe(3);
  });

  it("keeps sampling after ss fails", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const runner = fakeRunner(async () => {
      calls += 1;
      if (calls === 1) throw new Error("ss: not found");
      return { stdout: "", stderr: "" };
    });
    const watcher = new TrafficWatcher({
      runner,
      logger: silentLogger(),
      sampleMs: 1_000,
      watched: () => [{ ifname: "eth0", addresses: ETH0 }],
      onEvidence: () => {},
    });
    watcher.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toBe(3);
    await watcher.stop();
  });
});
