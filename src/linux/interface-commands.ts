import { rm } from "node:fs/promises";
import { subnetBroadcast } from "../route/ipv4.js";
import type { Ipv4Address } from "../route/types.js";
import type { InterfaceCommand, TechnologyPlan } from "../technologies/types.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { CommandRunner } from "./command-runner.js";
import { IpBatchError, type IpRunner } from "./ip.js";

/** Carries out the technologies' plans on a real kernel. */

export interface CommandContext {
  ip: IpRunner;
  runner: CommandRunner;
}

export class CommandTimeoutError extends Error {
  constructor(
    readonly command: InterfaceCommand,
    readonly timeoutMs: number,
  ) {
    super(`${describeCommand(command)}: timed out after ${timeoutMs} ms`);
    this.name = "CommandTimeoutError";
  }
}

export function describeCommand(command: InterfaceCommand): string {
  switch (command.kind) {
    case "ip":
      return `ip ${command.args.join(" ")}`;
    case "sysctl":
      return `sysctl ${command.path}=${command.value}`;
    case "ipv4_addresses": {
      const lifetime =
        command.lifetimeSeconds === undefined ? "" : ` for ${command.lifetimeSeconds} s`;
      return `set ${command.ifname} IPv4 addresses to [${command.addresses
        .map((address) => `${address.address}/${address.prefixLength}`)
        .join(", ")}]${lifetime}`;
    }
  }
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{
    family?: string;
    local?: string;
    prefixlen?: number;
    scope?: string;
    broadcast?: string;
    valid_life_time?: number;
  }>;
}

/** An address as the kernel holds it: what converging compares with what is wanted. */
export interface KernelIpv4Address extends Ipv4Address {
  broadcast?: string | undefined;
  /** Seconds left; absent or INFINITE_LIFETIME for an address that lasts. */
  validLifetime?: number | undefined;
}

/** The kernel's lifetimes are 32 bits; all ones is its "forever", as it is a DHCP lease's. */
const INFINITE_LIFETIME = 0xffff_ffff;

function lifetimeOptions(seconds: number | undefined): string {
  if (seconds === undefined || seconds >= INFINITE_LIFETIME) return "";
  return ` valid_lft ${seconds} preferred_lft ${seconds}`;
}

const keyOf = (address: Ipv4Address) => `${address.address}/${address.prefixLength}`;

/**
 * `ip -batch` lines that make the interface's global IPv4 addresses exactly
 * `addresses`, each with its subnet's broadcast address. With a lifetime every
 * one of them is replaced, present or not: that is how a renewed lease
 * restarts the kernel's countdown; without, an address the kernel would let
 * run out (a lease's, now static) is made to last.
 */
export function addressChanges(
  ifname: string,
  current: readonly KernelIpv4Address[],
  addresses: readonly Ipv4Address[],
  lifetimeSeconds?: number,
): string[] {
  const wanted = new Set(addresses.map(keyOf));
  const have = new Map(current.map((address) => [keyOf(address), address]));
  const lifetime = lifetimeOptions(lifetimeSeconds);
  const lasts = lifetime === "";
  const put = (address: Ipv4Address) => {
    const broadcast = subnetBroadcast(address.address, address.prefixLength);
    const brd = broadcast === undefined ? "" : ` broadcast ${broadcast}`;
    return `addr replace ${keyOf(address)} dev ${ifname} noprefixroute${brd}${lifetime}`;
  };
  const fixes: string[] = [];
  const puts: string[] = [];
  for (const address of addresses) {
    const existing = have.get(keyOf(address));
    if (!existing) puts.push(put(address));
    else if (existing.broadcast !== subnetBroadcast(address.address, address.prefixLength)) {
      fixes.push(...rebroadcast(ifname, address, current, put(address)));
    } else if (!lasts || (existing.validLifetime ?? INFINITE_LIFETIME) < INFINITE_LIFETIME) {
      puts.push(put(address));
    }
  }
  return [
    // Corrections before additions: a new address in the subnet would otherwise become
    // its primary while the corrected one is away.
    ...fixes,
    // Add before delete: the interface is never without an address it should have.
    ...puts,
    ...current
      .filter((address) => !wanted.has(keyOf(address)))
      .map((address) => `addr del ${keyOf(address)} dev ${ifname}`),
  ];
}

/**
 * Lines that give a present address its broadcast address. `replace` keeps
 * the old one (the kernel only updates an existing address's lifetimes), so
 * the address is deleted and added again. While it is away, a twin with
 * another prefix length holds the same local address: the kernel then keeps
 * the routes whose source it is (it flushes those only once the address is
 * gone from the interface), and connections bound to it never notice.
 */
function rebroadcast(
  ifname: string,
  address: Ipv4Address,
  current: readonly KernelIpv4Address[],
  putLine: string,
): string[] {
  const swap = [`addr del ${keyOf(address)} dev ${ifname}`, putLine];
  const held = current.some(
    (other) => other.address === address.address && keyOf(other) !== keyOf(address),
  );
  if (held) return swap;
  const twin = `${address.address}/${address.prefixLength === 32 ? 31 : 32}`;
  return [
    `addr add ${twin} dev ${ifname} noprefixroute`,
    ...swap,
    `addr del ${twin} dev ${ifname}`,
  ];
}

async function currentIpv4Addresses(
  ip: IpRunner,
  ifname: string,
  signal: AbortSignal,
): Promise<KernelIpv4Address[]> {
  const links = await ip.json<IpAddrJson[]>(["-4", "addr", "show", "dev", ifname], signal);
  return links.flatMap((link) =>
    (link.addr_info ?? []).flatMap((info) =>
      info.family === "inet" &&
      info.scope === "global" &&
      info.local &&
      info.prefixlen !== undefined
        ? [
            {
              address: info.local,
              prefixLength: info.prefixlen,
              broadcast: info.broadcast,
              validLifetime: info.valid_life_time,
            },
          ]
        : [],
    ),
  );
}

async function runOne(
  context: CommandContext,
  command: InterfaceCommand,
  signal: AbortSignal,
): Promise<void> {
  switch (command.kind) {
    case "ip": {
      const running = context.ip.batch([command.args.join(" ")], signal);
      if (!command.ignoreFailure) return running;
      // Only the kernel's refusal: a timeout or a cancellation still stops the steps.
      return running.catch((error: unknown) => {
        if (!(error instanceof IpBatchError)) throw error;
      });
    }
    case "sysctl":
      return context.runner.sysctl(command.path, command.value, { signal });
    case "ipv4_addresses": {
      const current = await currentIpv4Addresses(context.ip, command.ifname, signal);
      const changes = addressChanges(
        command.ifname,
        current,
        command.addresses,
        command.lifetimeSeconds,
      );
      return context.ip.batch(changes, signal);
    }
  }
}

/** Runs one command, killed when `signal` aborts (the state that started it was left) or after `timeoutMs`. */
export async function runInterfaceCommand(
  context: CommandContext,
  command: InterfaceCommand,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    await runOne(context, command, AbortSignal.any([signal, timeout]));
  } catch (error) {
    if (timeout.aborted && !signal.aborted) throw new CommandTimeoutError(command, timeoutMs);
    throw error;
  }
}

/** Files first (daemons read them), then the up commands in order; the first failure stops it. */
export async function bringUp(
  context: CommandContext,
  plan: TechnologyPlan,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  for (const file of plan.files) await writeFileAtomic(file.path, file.content, file.mode);
  for (const command of plan.up) await runInterfaceCommand(context, command, signal, timeoutMs);
}

/** Every down command runs even if one fails; then the files go. Throws the failures together. */
export async function bringDown(
  context: CommandContext,
  plan: TechnologyPlan,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const failures: unknown[] = [];
  for (const command of plan.down) {
    await runInterfaceCommand(context, command, signal, timeoutMs).catch((error: unknown) =>
      failures.push(error),
    );
  }
  for (const file of plan.files) await rm(file.path, { force: true });
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      failures
        .map((failure) => (failure instanceof Error ? failure.message : String(failure)))
        .join("; "),
    );
  }
}
