import type { z } from "zod";
import type { CommandRunner } from "../../linux/command-runner.js";
import type { Logger } from "../../log.js";
import type { Ipv4Settings } from "../types.js";

/**
 * What a modem needs to be brought up, as a provider: the one piece that
 * knows a kind of modem (its commands, how it reports its address). The
 * mobile technology runs it, retries it and publishes what it reports;
 * statenet's own is `netdev` (netdev-provider.ts), others come in through
 * `mobileTechnology({ providers })`, as VintageNetMobile takes modem modules.
 */

/** A modem's block of a config (`mobile.modem`): `provider` names who brings it up. */
export interface ModemOptions {
  provider: string;
}

/** A carrier's data network, as VintageNetMobile's `service_providers` give it. */
export interface ServiceProvider {
  apn: string;
}

/** How the interface gets its address once the modem's data connection is up. */
export type ModemConnection =
  /** A DHCP server behind the link hands it out (QMI's and MBIM's usual way). */
  | { addressing: "dhcp" }
  /** The modem told the provider (raw IP): statenet puts it on the interface. */
  | { addressing: "reported"; settings: Ipv4Settings };

/** What a provider may use while it brings its modem up or down. */
export interface ModemSession<Options extends ModemOptions = ModemOptions> {
  ifname: string;
  options: Options;
  /** The first of the config's service providers, the one dialled (as VintageNetMobile does). */
  serviceProvider: ServiceProvider;
  /**
   * Runs a program without a shell in the manager's network namespace and
   * resolves with its standard output; rejects with `ModemCommandError`.
   */
  run(command: readonly string[], timeoutMs: number): Promise<string>;
  /** Aborted when the interface stops: a provider gives up whatever it waits for. */
  signal: AbortSignal;
  logger: Logger;
  /** Publishes `interface/<if>/mobile/<name>` (signal strength, operator, …) while it runs. */
  publish(name: string, value: unknown): void;
  /** For a provider that runs a daemon of its own (pppd): the manager's runner, files and pid records. */
  runner: CommandRunner;
  configDir: string;
  pidDir: string;
}

export interface ModemProvider<Options extends ModemOptions = ModemOptions> {
  /** The value of `mobile.modem.provider` that selects it. */
  readonly name: Options["provider"];
  /**
   * Its connect creates the interface (pppd makes ppp0): the interface is
   * configured without waiting for it, and no link command runs before it exists.
   */
  readonly createsInterface?: true | undefined;
  /** Validates the modem's block; a strict object whose `provider` is the literal name. */
  readonly schema: z.ZodType<Options>;
  /** Brings the data connection up; rejecting means retrying after a backoff. */
  connect(session: ModemSession<Options>): Promise<ModemConnection>;
  /** Ends the data connection when the interface stops (best effort: failures are logged). */
  disconnect(session: ModemSession<Options>): Promise<void>;
  /** Runs while connected (a signal monitor); the returned function stops it. */
  monitor?(session: ModemSession<Options>): () => void;
}

/** Why a modem command failed: it ran and failed (or could not run), or it took too long. */
export type ModemCommandFailure = "failed" | "timeout";

/** A modem's command failed: which one, how, and what it said (typed for logs and properties). */
export class ModemCommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly failure: ModemCommandFailure,
    readonly detail: string,
  ) {
    super(`${command.join(" ")}: ${detail}`);
    this.name = "ModemCommandError";
  }
}

/** A connect that finished without an address where the provider promised to report one. */
export class ModemReportError extends Error {
  constructor(
    readonly provider: string,
    detail: string,
  ) {
    super(`${provider}: ${detail}`);
    this.name = "ModemReportError";
  }
}
