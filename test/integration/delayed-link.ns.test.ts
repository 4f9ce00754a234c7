import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labOptionsOf } from "../../demo/daemon-lab.js";
import { addUplinkDelay, DelayedLinkError } from "../../lab/delayed-link.js";
import { Lab } from "../../lab/namespace-lab.js";
import { type Started, startIn } from "../support/lab-processes.js";
import { describeAsRoot } from "../support/root.js";

const HOST = "203.0.113.53";
const PORT = 7007;
const RTTS = { eth0: 20, eth1: 300 } as const;

/** TCP and UDP echo on the internet host. */
const ECHO_SERVER = `
const net = require("node:net");
const dgram = require("node:dgram");
let up = 0;
const ready = () => { if (++up === 2) console.log("ready"); };
net.createServer((s) => { s.on("error", () => {}); s.pipe(s); }).listen(${PORT}, "${HOST}", ready);
const u = dgram.createSocket("udp4");
u.on("message", (m, r) => u.send(m, r.port, r.address));
u.bind(${PORT}, "${HOST}", ready);
`;

/**
 * From the device, bound to one uplink's address: "connect" times TCP
 * handshakes (one RTT each) and echoes a 1400-byte payload over each
 * connection; "burst" sends numbered UDP datagrams back to back, full-size
 * ones (1472 bytes: a 1500-byte packet) among them, and reports the echoes in
 * the order they came.
 */
const CLIENT = `
const net = require("node:net");
const dgram = require("node:dgram");
const [mode, localAddress, count] = process.argv.slice(1);
const host = "${HOST}", port = ${PORT};
async function connects() {
  const results = [];
  for (let i = 0; i < Number(count); i++) {
    const payload = Buffer.alloc(1400, i);
    results.push(await new Promise((resolve, reject) => {
      const start = performance.now();
      let connectMs;
      let echoed = Buffer.alloc(0);
      const s = net.connect({ host, port, localAddress }, () => {
        connectMs = performance.now() - start;
        s.write(payload);
      });
      s.on("data", (d) => {
        echoed = Buffer.concat([echoed, d]);
        if (echoed.length >= payload.length) { s.destroy(); resolve({ connectMs, echoed: echoed.equals(payload) }); }
      });
      s.on("error", reject);
    }));
  }
  return results;
}
function burst() {
  return new Promise((resolve) => {
    const u = dgram.createSocket("udp4");
    const replies = [];
    let start;
    const done = () => { u.close(); resolve(replies); };
    const timer = setTimeout(done, 10000);
    u.on("message", (m) => {
      replies.push({ seq: m.readUInt32BE(0), bytes: m.length, atMs: performance.now() - start });
      if (replies.length === Number(count)) { clearTimeout(timer); done(); }
    });
    u.bind(0, localAddress, () => {
      start = performance.now();
      for (let seq = 0; seq < Number(count); seq++) {
        const m = Buffer.alloc(seq % 2 === 0 ? 1472 : 64, seq);
        m.writeUInt32BE(seq, 0);
        u.send(m, port, host);
      }
    });
  });
}
(mode === "connect" ? connects() : burst()).then((r) => console.log(JSON.stringify(r)));
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describeAsRoot("a lab uplink with an added round-trip time", () => {
  let lab: Lab;
  let server: Started | undefined;

  beforeAll(async () => {
    lab = await Lab.create({
      uplinks: [{ ifname: "eth0", rttMs: RTTS.eth0 }, { ifname: "eth1", rttMs: RTTS.eth1 }, "eth2"],
      internetHosts: [HOST],
    });
    // Each uplink's address routes through its own router (source routing), as statenet sets it up.
    await execa("ip", ["-n", lab.deviceNs, "-batch", "-"], {
      input: `${lab.uplinks
        .flatMap((uplink, index) => [
          `addr add ${uplink.deviceAddress}/${uplink.prefixLength} dev ${uplink.ifname}`,
          `route add default via ${uplink.routerAddress} dev ${uplink.ifname} table ${100 + index}`,
          `rule add from ${uplink.deviceAddress} table ${100 + index}`,
        ])
        .join("\n")}\n`,
    });
    server = await startIn(
      lab.internetNs as string,
      process.execPath,
      ["-e", ECHO_SERVER],
      (line) => line === "ready",
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await lab?.teardown();
  });

  async function client<T>(mode: "connect" | "burst", ifname: string, count: number): Promise<T> {
    const { stdout } = await lab.exec(lab.deviceNs, process.execPath, [
      "-e",
      CLIENT,
      mode,
      lab.uplink(ifname).deviceAddress,
      String(count),
    ]);
    return JSON.parse(stdout) as T;
  }

  it.each(Object.entries(RTTS))(
    "a TCP handshake through %s takes its added RTT (%i ms) and full-size segments pass",
    async (ifname, rttMs) => {
      const results = await client<Array<{ connectMs: number; echoed: boolean }>>(
        "connect",
        ifname,
        7,
      );
      expect(results.every((result) => result.echoed)).toBe(true);
      const connectMs = median(results.map((result) => result.connectMs));
      expect(connectMs).toBeGreaterThanOrEqual(rttMs * 0.9);
      expect(connectMs).toBeLessThanOrEqual(rttMs * 1.5);
      expect(lab.uplink(ifname).rttMs).toBe(rttMs);
    },
    30_000,
  );

  it.each(Object.entries(RTTS))(
    "a burst through %s comes back whole, in order, after the RTT (%i ms)",
    async (ifname, rttMs) => {
      const count = 60;
      const replies = await client<Array<{ seq: number; bytes: number; atMs: number }>>(
        "burst",
        ifname,
        count,
      );
      expect(replies.map((reply) => reply.seq)).toEqual([...Array(count).keys()]);
      expect(replies.map((reply) => reply.bytes)).toEqual(
        replies.map((reply) => (reply.seq % 2 === 0 ? 1472 : 64)),
      );
      expect(replies[0]?.atMs).toBeGreaterThanOrEqual(rttMs * 0.9);
    },
    30_000,
  );

  it("adds a delay to a built lab's uplink and removes it again", async () => {
    const handshakeMs = async () =>
      median(
        (await client<Array<{ connectMs: number }>>("connect", "eth2", 5)).map(
          (result) => result.connectMs,
        ),
      );
    // Veth forwarding alone: well under a millisecond, a few on a loaded machine.
    expect(await handshakeMs()).toBeLessThan(50 * 0.5);
    const link = await addUplinkDelay(lab, "eth2", 50);
    try {
      expect(await handshakeMs()).toBeGreaterThanOrEqual(50 * 0.9);
    } finally {
      await link.remove();
    }
    expect(await handshakeMs()).toBeLessThan(50 * 0.5);
  }, 60_000);

  it("the router's upstream goes through the delayed TUN link", async () => {
    const { stdout } = await lab.exec(lab.uplink("eth1").routerNs, "ip", [
      "route",
      "show",
      "default",
    ]);
    expect(stdout).toContain("dev dl0");
  });
});

describe("adding a round-trip time to a lab uplink", () => {
  it("refuses a bad RTT or one without an internet namespace, naming the field", async () => {
    await expect(
      Lab.create({ uplinks: ["eth0", { ifname: "eth1", rttMs: -5 }], internetHosts: [HOST] }),
    ).rejects.toMatchObject({ name: "DelayedLinkError", field: "uplinks[1].rttMs" });
    await expect(Lab.create({ uplinks: [{ ifname: "eth0", rttMs: 20 }] })).rejects.toBeInstanceOf(
      DelayedLinkError,
    );
  });

  it("DaemonLab hands an uplink's RTT to the lab", () => {
    expect(
      labOptionsOf({
        uplinks: [
          { ifname: "eth0", ipv4: "static", rttMs: 20 },
          { ifname: "wwan0", ipv4: "dhcp" },
        ],
        internetHosts: [HOST],
      }),
    ).toEqual({ uplinks: [{ ifname: "eth0", rttMs: 20 }, "wwan0"], internetHosts: [HOST] });
  });
});
