import { describe, expect, it } from "vitest";
import {
  endpointAddress,
  parseSsTcp,
  readTcpSockets,
  type TcpSocketInfo,
  trafficEvidence,
} from "../../src/connectivity/passive-evidence.js";
import { fakeRunner } from "../support/fake-runner.js";
import { ESTABLISHED, IPV6_ESTABLISHED, RETRANSMITTING_WITH_STATE } from "../support/ss-output.js";

const EXTERNAL = "203.0.113.53";
const offLink = (remote: string) => !remote.startsWith("192.0.2.");

function socket(overrides: Partial<TcpSocketInfo> = {}): TcpSocketInfo {
  return {
    local: "192.0.2.10:40000",
    remote: `${EXTERNAL}:443`,
    bytesSent: 100,
    bytesReceived: 100,
    bytesAcked: 101,
    retrans: 0,
    ...overrides,
  };
}

describe("parseSsTcp", () => {
  it("reads a socket without the state column (state filter given)", () => {
    expect(parseSsTcp(ESTABLISHED)).toEqual([
      {
        local: "192.0.2.10:56384",
        remote: "192.0.2.1:53",
        bytesSent: 21,
        bytesReceived: 21,
        bytesAcked: 22,
        lastSndMs: 400,
        lastRcvMs: 400,
      },
    ]);
  });

  it("reads a retransmitting socket with the state column, taking the total retransmits", () => {
    expect(parseSsTcp(RETRANSMITTING_WITH_STATE)).toEqual([
      {
        local: "192.0.2.10:56392",
        remote: "192.0.2.1:53",
        bytesSent: 92,
        bytesReceived: 7,
        bytesAcked: 8,
        retrans: 4,
        lastSndMs: 160,
        lastRcvMs: 3020,
      },
    ]);
  });

  it("reads several sockets, IPv4-mapped and scoped addresses, and sockets without info", () => {
    const text = [
      "0 0 [::ffff:192.0.2.10]:5000 [::ffff:203.0.113.53]:443",
      "\t cubic bytes_sent:5 bytes_received:6",
      "0 0 192.0.2.10%eth0:6000 198.51.100.7:80",
      "0 0 [2001:db8::1]:7000 [2001:db8::2]:22",
      "\t cubic bytes_received:9",
    ].join("\n");
    expect(parseSsTcp(text)).toEqual([
      {
        local: "192.0.2.10:5000",
        remote: "203.0.113.53:443",
        bytesSent: 5,
        bytesReceived: 6,
      },
      { local: "192.0.2.10:6000", remote: "198.51.100.7:80" },
      { local: "[2001:db8::1]:7000", remote: "[2001:db8::2]:22", bytesReceived: 9 },
    ]);
    expect(endpointAddress("[2001:db8::1]:7000")).toBe("2001:db8::1");
    expect(endpointAddress("192.0.2.10:6000")).toBe("192.0.2.10");
  });

  it("reads an IPv6 socket as ss prints it", () => {
    expect(parseSsTcp(IPV6_ESTABLISHED)).toEqual([
      {
        local: "[2001:db8:1::10]:36673",
        remote: "[2001:db8:99::53]:443",
        bytesSent: 6,
        bytesReceived: 6,
        bytesAcked: 7,
        lastSndMs: 24,
        lastRcvMs: 24,
      },
    ]);
  });

  it("ignores empty output and lines it cannot read", () => {
    expect(parseSsTcp("")).toEqual([]);
    expect(parseSsTcp("\t bytes_sent:3\nnonsense\n")).toEqual([]);
  });
});

describe("trafficEvidence", () => {
  it("is seen when a socket to an off-link host both sent and received", () => {
    const now = socket({ bytesSent: 150, bytesReceived: 180 });
    expect(trafficEvidence([socket()], [now], "192.0.2.10", offLink)).toBe("seen");
  });

  it("counts a socket that is new since the last reading", () => {
    expect(trafficEvidence([], [socket()], "192.0.2.10", offLink)).toBe("seen");
  });

  it("is none when only one direction moved", () => {
    const sentOnly = socket({ bytesSent: 150 });
    const receivedOnly = socket({ bytesReceived: 150 });
    expect(trafficEvidence([socket()], [sentOnly], "192.0.2.10", offLink)).toBe("none");
    expect(trafficEvidence([socket()], [receivedOnly], "192.0.2.10", offLink)).toBe("none");
  });

  it("is stalled when a socket retransmits and receives nothing", () => {
    const stuck = socket({ bytesSent: 300, retrans: 3 });
    expect(trafficEvidence([socket()], [stuck], "192.0.2.10", offLink)).toBe("stalled");
  });

  it("prefers seen over stalled", () => {
    const stuck = socket({ local: "192.0.2.10:40001", retrans: 2 });
    const moving = socket({ bytesSent: 200, bytesReceived: 200 });
    const previous = [socket(), socket({ local: "192.0.2.10:40001" })];
    expect(trafficEvidence(previous, [stuck, moving], "192.0.2.10", offLink)).toBe("seen");
  });

  it("ignores other source addresses, on-link peers and unchanged sockets", () => {
    const previous = [socket()];
    const otherSource = socket({
      local: "198.51.100.10:40000",
      bytesSent: 500,
      bytesReceived: 500,
    });
    const onLink = socket({ remote: "192.0.2.1:53", bytesSent: 500, bytesReceived: 500 });
    expect(trafficEvidence(previous, [otherSource], "192.0.2.10", offLink)).toBe("none");
    expect(trafficEvidence(previous, [onLink], "192.0.2.10", offLink)).toBe("none");
    expect(trafficEvidence(previous, previous, "192.0.2.10", offLink)).toBe("none");
  });
});

describe("trafficEvidence over IPv6", () => {
  const v6 = (overrides: Partial<TcpSocketInfo> = {}) =>
    socket({ local: "[2001:db8:1::10]:40000", remote: "[2001:db8:99::53]:443", ...overrides });
  const v6OffLink = (remote: string) => !remote.startsWith("2001:db8:1:");

  it("is seen when an IPv6 socket from the address both sent and received", () => {
    const now = v6({ bytesSent: 150, bytesReceived: 180 });
    expect(trafficEvidence([v6()], [now], "2001:db8:1::10", v6OffLink)).toBe("seen");
  });

  it("is stalled when an IPv6 socket only retransmits", () => {
    const stuck = v6({ bytesSent: 300, retrans: 3 });
    expect(trafficEvidence([v6()], [stuck], "2001:db8:1::10", v6OffLink)).toBe("stalled");
  });

  it("matches the source address however it is spelled", () => {
    const now = v6({ bytesSent: 150, bytesReceived: 180 });
    expect(trafficEvidence([v6()], [now], "2001:0DB8:1:0:0::10", v6OffLink)).toBe("seen");
    expect(trafficEvidence([v6()], [now], "2001:db8:1::11", v6OffLink)).toBe("none");
  });

  it("reads ss's own IPv6 output end to end", () => {
    const [seen] = parseSsTcp(IPV6_ESTABLISHED);
    expect(trafficEvidence([], parseSsTcp(IPV6_ESTABLISHED), "2001:db8:1::10", v6OffLink)).toBe(
      "seen",
    );
    expect(
      trafficEvidence(
        [seen as TcpSocketInfo],
        [seen as TcpSocketInfo],
        "2001:db8:1::10",
        v6OffLink,
      ),
    ).toBe("none");
  });
});

describe("readTcpSockets", () => {
  it("runs ss for established TCP sockets through the runner", async () => {
    const calls: Array<[string, readonly string[]]> = [];
    const runner = fakeRunner(async (file, args) => {
      calls.push([file, args]);
      return { stdout: ESTABLISHED, stderr: "" };
    }, "lab");
    expect(await readTcpSockets(runner)).toHaveLength(1);
    expect(calls).toEqual([["ss", ["-t", "-i", "-n", "-H", "state", "established"]]]);
  });
});
