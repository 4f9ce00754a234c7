import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Lab, LabServer } from "./namespace-lab.js";
import { pollUntil } from "./poll.js";

/**
 * A real added round-trip time on a lab uplink, for kernels without
 * sch_netem (and without fq's EDT pacing). The router's upstream traffic
 * takes a TUN link instead of the veth: socat carries each packet of a TUN
 * end as one UDP datagram, and a relay (lab/delay-relay.ts) in the internet
 * namespace holds every datagram for half the RTT each way, in order.
 *
 *   router ns                        internet ns
 *   dl0 ⇄ socat ⇄ UDP over the veth ⇄ delay-relay ⇄ UDP on lo ⇄ socat ⇄ dl<index>
 *
 * The veth stays as the transport, its MTU raised by the outer IP and UDP
 * headers so the TUN link keeps an MTU of 1500. The three processes a packet
 * passes each way add about 3 ms to the round trip on a loaded machine.
 */

export class DelayedLinkError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "DelayedLinkError";
  }
}

/** Far above any RTT a test wants; a typo (seconds for ms) fails here. */
const MAX_RTT_MS = 10_000;
/** The TUN link's MTU, as the veth it replaces. */
const LINK_MTU = 1500;
/** Outer IPv4 and UDP headers around every packet of the TUN link. */
const ENCAPSULATION_BYTES = 28;
const ROUTER_TUN = "dl0";
const PORTS = {
  routerSocat: 4789,
  relayRouterSide: 4789,
  relayInternetSide: 4790,
  internetSocat: 4791,
};

/** Throws DelayedLinkError naming `field` unless `rttMs` can be added to a lab uplink. */
export function checkRttMs(field: string, rttMs: number, internetNs: string | undefined): void {
  if (typeof rttMs !== "number" || !Number.isFinite(rttMs) || rttMs < 0 || rttMs > MAX_RTT_MS) {
    throw new DelayedLinkError(field, `must be milliseconds from 0 to ${MAX_RTT_MS}, got ${rttMs}`);
  }
  if (internetNs === undefined) {
    throw new DelayedLinkError(field, "needs an internet namespace (the lab's internetHosts)");
  }
}

export interface DelayedLink {
  readonly ifname: string;
  readonly rttMs: number;
  /** The TUN ends: `routerTun` in the uplink's router namespace, `internetTun` in the internet namespace. */
  readonly routerTun: string;
  readonly internetTun: string;
  /** Routes the upstream over the plain veth again and stops socat and the relay (by their pids). */
  remove(): Promise<void>;
}

/**
 * How to run the relay: the compiled program beside this file, or under tsx
 * when the lab runs from its TypeScript sources.
 */
function relayProgram(): string[] {
  if (!import.meta.url.endsWith(".ts")) {
    return [fileURLToPath(new URL("./delay-relay.js", import.meta.url))];
  }
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return [
    "--import",
    pathToFileURL(tsx).href,
    fileURLToPath(new URL("./delay-relay.ts", import.meta.url)),
  ];
}

/**
 * Adds `rttMs` of round-trip time between an uplink's router and the
 * internet namespace (`rttMs / 2` each way); resolves once traffic takes the
 * delayed path. Lab.create does this for an uplink's `rttMs`; the lab's
 * teardown kills the processes with the namespaces at the latest.
 */
export async function addUplinkDelay(
  lab: Lab,
  ifname: string,
  rttMs: number,
): Promise<DelayedLink> {
  const uplink = lab.uplink(ifname);
  const index = lab.uplinks.indexOf(uplink);
  const { internetNs } = lab;
  checkRttMs("rttMs", rttMs, internetNs);
  const { upstream } = uplink;
  if (internetNs === undefined || upstream === undefined) throw new Error("unreachable");
  // The TUN link's /30 is 198.19.(128 + index).0.
  if (index > 127) throw new DelayedLinkError("rttMs", `uplink ${ifname} is past the 128th`);
  const routerEnd = `198.19.${128 + index}.1`;
  const internetEnd = `198.19.${128 + index}.2`;
  const internetTun = `dl${index}`;
  const at = (address: string, port: number) => `${address}:${port}`;

  await lab
    .ip(uplink.routerNs)
    .batch([`link set ${upstream.routerIfname} mtu ${LINK_MTU + ENCAPSULATION_BYTES}`]);
  await lab
    .ip(internetNs)
    .batch([`link set ${upstream.internetIfname} mtu ${LINK_MTU + ENCAPSULATION_BYTES}`]);

  const dir = await lab.tempDir(`delay-${ifname}`);
  const started: LabServer[] = [];
  const remove = async () => {
    for (const server of started.splice(0).reverse()) await server.stop();
  };
  try {
    let relayReady = false;
    started.push(
      await lab.startProcess(
        `delay relay of ${ifname}`,
        internetNs,
        [
          process.execPath,
          ...relayProgram(),
          String(rttMs / 2),
          at(upstream.internetAddress, PORTS.relayRouterSide),
          at(upstream.routerAddress, PORTS.routerSocat),
          at(upstream.internetAddress, PORTS.relayInternetSide),
          at(upstream.internetAddress, PORTS.internetSocat),
        ],
        {
          dir,
          onLine: (line) => {
            if (line === "ready") relayReady = true;
          },
          ready: async (gone) => {
            await pollUntil("the delay relay", () => relayReady, {
              intervalMs: 20,
              gone: () => (gone() ? "exited" : undefined),
            });
          },
        },
      ),
    );
    const tunEnd = async (
      ns: string,
      tun: string,
      address: string,
      local: string,
      peer: string,
    ) => {
      const argv = [
        "socat",
        `TUN:${address}/30,tun-name=${tun},iff-no-pi,iff-up`,
        `UDP-DATAGRAM:${peer},bind=${local}`,
      ];
      started.push(
        await lab.startProcess(`socat ${tun}`, ns, argv, {
          dir,
          ready: async (gone) => {
            const hasAddress = async () => {
              const links = await lab
                .ip(ns)
                .json<Array<{ addr_info?: Array<{ local?: string }> }>>([
                  "addr",
                  "show",
                  "dev",
                  tun,
                ])
                .catch(() => []);
              return links.some((link) => link.addr_info?.some((info) => info.local === address));
            };
            await pollUntil(`${tun} in ${ns}`, hasAddress, {
              timeoutMs: 10_000,
              intervalMs: 20,
              gone: () => (gone() ? "exited" : undefined),
            });
          },
        }),
      );
      await lab.ip(ns).batch([`link set ${tun} mtu ${LINK_MTU}`]);
    };
    await tunEnd(
      uplink.routerNs,
      ROUTER_TUN,
      routerEnd,
      at(upstream.routerAddress, PORTS.routerSocat),
      at(upstream.internetAddress, PORTS.relayRouterSide),
    );
    await tunEnd(
      internetNs,
      internetTun,
      internetEnd,
      at(upstream.internetAddress, PORTS.internetSocat),
      at(upstream.internetAddress, PORTS.relayInternetSide),
    );
    await lab
      .ip(uplink.routerNs)
      .batch([`route replace default via ${internetEnd} dev ${ROUTER_TUN}`]);
    await lab
      .ip(internetNs)
      .batch([`route replace ${uplink.network} via ${routerEnd} dev ${internetTun}`]);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    ifname,
    rttMs,
    routerTun: ROUTER_TUN,
    internetTun,
    remove: async () => {
      await lab
        .ip(uplink.routerNs)
        .batch([
          `route replace default via ${upstream.internetAddress} dev ${upstream.routerIfname}`,
        ]);
      await lab
        .ip(internetNs)
        .batch([
          `route replace ${uplink.network} via ${upstream.routerAddress} dev ${upstream.internetIfname}`,
        ]);
      await remove();
    },
  };
}
