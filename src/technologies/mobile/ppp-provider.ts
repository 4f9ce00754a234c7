import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { milliseconds } from "../../config/fields.js";
import { writeFileAtomic } from "../../linux/atomic-write.js";
import { daemonRecordPath } from "../../linux/daemon-pids.js";
import { assertInterfaceName } from "../../linux/interface-name.js";
import { assertMayChangeNetwork } from "../../linux/network-namespace.js";
import { SupervisedProcess } from "../../linux/supervised-process.js";
import { IpcpLog } from "./ipcp-log.js";
import { chatScript, pppdOptions } from "./ppp-files.js";
import type { ModemConnection, ModemProvider, ModemSession } from "./provider.js";

/**
 * A modem that speaks AT commands on a serial port and carries data as PPP
 * (VintageNetMobile's PPP modems): statenet writes a chat script and pppd's
 * options, runs pppd in the foreground under a SupervisedProcess (a pid
 * record, stopped by its pid), and reads the address IPCP agreed from
 * pppd's log (ipcp-log.ts). pppd creates the interface, so the plan does
 * not wait for it (`createsInterface`).
 *
 * The mobile daemon redials: a pppd that exits before IPCP is up fails the
 * connect (retried with backoff); one that exits later (the peer hung up)
 * takes ppp0 with it, its address and routes go, and the interface machine
 * configures the interface again, which dials at once.
 */

/** Baud rates a Linux tty takes (termios B* constants). */
const SPEEDS = [
  9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 500_000, 576_000, 921_600, 1_000_000,
  1_152_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000,
] as const;

export const pppModemSchema = z.strictObject({
  provider: z.literal("ppp"),
  /** The modem's AT/PPP port, e.g. /dev/ttyUSB2. */
  device: z
    .string({ error: () => "required: the modem's serial port, e.g. /dev/ttyUSB2" })
    .regex(/^\/[^\s"'\\]+$/, "must be an absolute path without spaces, quotes or backslashes"),
  speed: z
    .number()
    .refine((speed) => (SPEEDS as readonly number[]).includes(speed), {
      error: `must be a serial speed: one of ${SPEEDS.join(", ")}`,
    })
    .default(115_200),
  /** How long chat waits for each of the modem's answers. */
  chatTimeoutSeconds: z
    .number()
    .int("must be an integer number of seconds")
    .min(1, "must be at least 1")
    .max(600, "must be at most 600")
    .default(60),
  /** From starting pppd to IPCP's address: a connect that takes longer is retried. */
  connectTimeoutMs: milliseconds(1_000).default(180_000),
});

export type PppModemOptions = z.infer<typeof pppModemSchema>;

/** pppd's exit statuses (pppd(8) "EXIT STATUS") that say what went wrong with a dial. */
const PPPD_EXIT: Readonly<Record<number, string>> = {
  1: "a fatal error",
  2: "an error in its options",
  3: "not run as root",
  4: "no PPP support in the kernel",
  5: "a signal",
  6: "the serial port is locked",
  7: "the serial port could not be opened",
  8: "the connect script (chat) failed: the modem refused or did not answer",
  10: "PPP negotiation failed",
  11: "the peer refused to authenticate",
  15: "no answer to LCP echo requests",
  16: "the modem hung up",
  19: "authentication failed",
};

/** pppd ended before IPCP was up, or never got there in time. */
export class PppConnectError extends Error {
  constructor(
    readonly ifname: string,
    detail: string,
  ) {
    super(`pppd on ${ifname}: ${detail}`);
    this.name = "PppConnectError";
  }
}

/** pppd's last IPCP line can lag the others by a read: they are all logged within one call. */
const DNS_SETTLE_MS = 250;

export interface PppPaths {
  chat: string;
  options: string;
}

export function pppPaths(configDir: string, ifname: string): PppPaths {
  assertInterfaceName(ifname);
  return {
    chat: join(configDir, `ppp-${ifname}.chat`),
    options: join(configDir, `ppp-${ifname}.options`),
  };
}

/**
 * The running pppd per interface of each manager (its pid records' directory
 * tells managers apart): the provider serves every interface with a PPP modem.
 */
const running = new Map<string, SupervisedProcess>();

const runKey = (session: ModemSession) => `${session.pidDir}\0${session.ifname}`;

async function stopPppd(session: ModemSession): Promise<void> {
  const key = runKey(session);
  const pppd = running.get(key);
  running.delete(key);
  await pppd?.stop();
}

function describeExit(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  const why = exit.code === null ? undefined : PPPD_EXIT[exit.code];
  return `exited with ${exit.code}${why ? ` (${why})` : ""}`;
}

async function connect(session: ModemSession<PppModemOptions>): Promise<ModemConnection> {
  const { ifname, options, runner, logger } = session;
  const paths = pppPaths(session.configDir, ifname);
  const chat = chatScript({
    apn: session.serviceProvider.apn,
    timeoutSeconds: options.chatTimeoutSeconds,
  });
  const pppdConf = pppdOptions({
    ifname,
    device: options.device,
    speed: options.speed,
    chatPath: paths.chat,
  });
  // pppd brings up a network interface: tests must keep it inside a namespace.
  assertMayChangeNetwork(runner.netns, `pppd on ${ifname}`);
  await stopPppd(session);
  await writeFileAtomic(paths.chat, chat, 0o644, 0o700);
  await writeFileAtomic(paths.options, pppdConf, 0o644, 0o700);
  session.signal.throwIfAborted();

  const log = logger.child({ component: "pppd" });
  const ipcp = new IpcpLog();
  return new Promise<ModemConnection>((resolve, reject) => {
    let settled = false;
    let settleTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(settleTimer);
      clearTimeout(deadline);
      session.signal.removeEventListener("abort", onAbort);
      outcome();
    };
    const fail = (detail: string) =>
      finish(() => {
        // The next attempt must not find this pppd still holding the port.
        void stopPppd(session).then(() => reject(new PppConnectError(ifname, detail)));
      });
    const report = () =>
      finish(() => {
        const settings = ipcp.settings();
        if (!settings) return reject(new PppConnectError(ifname, "IPCP gave no address"));
        log.info({ settings }, "PPP link up");
        resolve({ addressing: "reported", settings });
      });
    const onAbort = () => fail("stopped");
    const deadline = setTimeout(
      () => fail(`no IPCP address within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    session.signal.addEventListener("abort", onAbort, { once: true });

    const pppd = new SupervisedProcess({
      name: "pppd",
      runner,
      logger: log,
      // The mobile daemon redials with its own backoff (see the module comment).
      restartOnExit: false,
      pidFile: daemonRecordPath(session.pidDir, "pppd", ifname),
      start: () => ({
        file: "pppd",
        args: ["file", paths.options],
        env: { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      }),
      onLine: (line) => {
        log.debug({ output: line }, "pppd");
        if (settled || !ipcp.read(line) || !ipcp.complete) return;
        if (ipcp.finished) report();
        else if (settleTimer === undefined) settleTimer = setTimeout(report, DNS_SETTLE_MS);
      },
      onExit: (exit) => {
        if (!settled) return fail(describeExit(exit));
        // ppp0 goes with it: the interface machine sees it vanish and configures it again.
        log.warn({ reason: describeExit(exit) }, "PPP link down");
      },
    });
    running.set(runKey(session), pppd);
  });
}

export const pppProvider: ModemProvider<PppModemOptions> = {
  name: "ppp",
  schema: pppModemSchema,
  createsInterface: true,
  connect,
  async disconnect(session) {
    await stopPppd(session);
    const paths = pppPaths(session.configDir, session.ifname);
    await Promise.all([paths.chat, paths.options].map((path) => rm(path, { force: true })));
  },
};
