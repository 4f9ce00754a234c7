import { z } from "zod";
import { milliseconds } from "../../config/fields.js";
import type { ModemConnection, ModemProvider, ModemSession } from "./provider.js";
import { parseReportedSettings } from "./reported-settings.js";
import { parseCsq, UNKNOWN_SIGNAL } from "./signal.js";

/**
 * A modem that presents a network interface (QMI or MBIM style `wwan0`),
 * brought up by the commands its config lists, e.g. qmicli's or mbimcli's
 * "start network" with `{apn}` in an argument. Then a DHCP client, or, for
 * raw IP, the address the last connect command printed (reported-settings.ts).
 */

/** A program and its arguments, run without a shell; `{apn}` and `{ifname}` are filled in. */
const command = z
  .array(z.string().min(1, "must not be empty"), {
    error: (issue) =>
      issue.input === undefined ? undefined : "must be a list: the program, then its arguments",
  })
  .min(1, "must name a program");

export const netdevModemSchema = z.strictObject({
  provider: z.literal("netdev"),
  /** Run in order to start the data connection; any failure means trying again later. */
  connect: z
    .array(command, { error: () => "required: the commands that start the data connection" })
    .min(1, "required: at least one command that starts the data connection"),
  /** Run in order when the interface stops; failures are logged. */
  disconnect: z.array(command).default([]),
  /** `dhcp`: a DHCP client on the interface; `reported`: the last connect command prints it. */
  addressing: z
    .enum(["dhcp", "reported"], { error: () => "must be dhcp or reported" })
    .default("dhcp"),
  /** Each command's limit (modems answer slowly while they register). */
  commandTimeoutMs: milliseconds(100).default(30_000),
  /** Asked while connected for the modem's `+CSQ: <rssi>,<ber>` answer. */
  signal: z.strictObject({ command, intervalMs: milliseconds(100).default(5_000) }).optional(),
});

export type NetdevModemOptions = z.infer<typeof netdevModemSchema>;

function filledIn(args: readonly string[], session: ModemSession): string[] {
  return args.map((arg) =>
    arg.replaceAll("{apn}", session.serviceProvider.apn).replaceAll("{ifname}", session.ifname),
  );
}

function publishSignal(session: ModemSession, output: string | undefined): void {
  const strength = (output !== undefined && parseCsq(output)) || UNKNOWN_SIGNAL;
  session.publish("signal_asu", strength.asu);
  session.publish("signal_dbm", strength.dbm);
  session.publish("signal_4bars", strength.bars);
}

export const netdevProvider: ModemProvider<NetdevModemOptions> = {
  name: "netdev",
  schema: netdevModemSchema,
  async connect(session): Promise<ModemConnection> {
    const { options } = session;
    let output = "";
    for (const step of options.connect) {
      output = await session.run(filledIn(step, session), options.commandTimeoutMs);
    }
    if (options.addressing === "dhcp") return { addressing: "dhcp" };
    return { addressing: "reported", settings: parseReportedSettings(output) };
  },
  async disconnect(session) {
    const { options } = session;
    for (const step of options.disconnect) {
      try {
        await session.run(filledIn(step, session), options.commandTimeoutMs);
      } catch (error) {
        // The next step may still end what this one could not (a modem reset after a failed stop).
        session.logger.warn({ error: (error as Error).message }, "modem disconnect step failed");
      }
    }
  },
  monitor(session) {
    const { signal } = session.options;
    if (!signal) return () => {};
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const ask = async () => {
      let output: string | undefined;
      try {
        output = await session.run(
          filledIn(signal.command, session),
          session.options.commandTimeoutMs,
        );
      } catch (error) {
        session.logger.debug({ error: (error as Error).message }, "modem signal query failed");
      }
      if (stopped) return;
      publishSignal(session, output);
      timer = setTimeout(ask, signal.intervalMs);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
};
