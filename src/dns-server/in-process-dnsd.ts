import { MAX_RESTART_DELAY_MS } from "../linux/supervised-process.js";
import type { Logger } from "../log.js";
import { compileZone, type DnsAddressRecord } from "./responder.js";
import { type DnsUdpServer, startDnsUdpServer } from "./udp-server.js";

/**
 * The DNS server inside the manager's own process, for a manager that runs
 * in the device's network namespace (the daemon, and any app embedding
 * statenet without `netns`): one socket, no second Node process (tens of
 * MB on a small board). Binding fails until the interface has its address,
 * so it tries again with a growing wait, as the supervisor of a separate
 * program would restart it.
 */

export interface InProcessDnsdOptions {
  ifname: string;
  address: string;
  port: number;
  ttlSeconds: number;
  records: DnsAddressRecord[];
  logger: Logger;
  /** First wait before binding again; doubles up to 30 s. Default 1000. */
  retryDelayMs?: number | undefined;
}

export interface InProcessDnsd {
  /** The port it listens on, once it does. */
  readonly port: number | undefined;
  /** How many binds failed so far. */
  readonly failures: number;
  stop(): Promise<void>;
}

export function startInProcessDnsd(options: InProcessDnsdOptions): InProcessDnsd {
  const { address, port, records, logger } = options;
  const zone = compileZone(records, options.ttlSeconds);
  const baseDelayMs = options.retryDelayMs ?? 1_000;
  let server: DnsUdpServer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  let delayMs = baseDelayMs;
  let binding: Promise<void> = Promise.resolve();

  const bind = async () => {
    try {
      const started = await startDnsUdpServer({
        address,
        port,
        zone,
        warn: (message) => logger.warn({ output: message }, "dnsd"),
      });
      if (stopped) {
        await started.close();
        return;
      }
      server = started;
      logger.info({ address, port: started.port, records: records.length }, "dnsd listening");
    } catch (error) {
      if (stopped) return;
      failures += 1;
      logger.warn({ err: error, retryInMs: delayMs }, "dnsd cannot listen yet");
      timer = setTimeout(() => {
        binding = bind();
      }, delayMs);
      delayMs = Math.min(delayMs * 2, Math.max(MAX_RESTART_DELAY_MS, baseDelayMs));
    }
  };
  binding = bind();

  return {
    get port() {
      return server?.port;
    },
    get failures() {
      return failures;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await binding;
      await server?.close();
      server = undefined;
    },
  };
}
