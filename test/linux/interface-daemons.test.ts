import { expect, it } from "vitest";
import { createActor, setup } from "xstate";
import type { ReportServer } from "../../src/dhcp/report-server.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { interfaceDaemons } from "../../src/linux/interface-daemons.js";
import { createIpRunner } from "../../src/linux/ip.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";

it("reports a daemon that cannot start as the interface's failure instead of crashing", async () => {
  const server: ReportServer = {
    path: "/nonexistent/dhcp.sock",
    register: () => () => {},
    close: async () => {},
  };
  const daemons = interfaceDaemons({
    ip: createIpRunner({ netns: "sn-never-created" }),
    runner: createCommandRunner({ netns: "sn-never-created" }),
    dhcpServer: server,
    handlerPath: "/nonexistent/handler",
    configDir: "/nonexistent/wpa_supplicant",
    pidDir: "/nonexistent/pids",
    portChanged: () => {},
    properties: new PropertyTable(),
    logger: silentLogger(),
    commandTimeoutMs: 1_000,
    trackStop: () => {},
  });
  const received: unknown[] = [];
  const host = setup({ actors: { daemons } }).createMachine({
    invoke: {
      src: "daemons",
      input: {
        ifname: "eth0",
        daemons: [{ kind: "udhcpc", ifname: "eth0", hostname: "not_a_name" }],
      },
    },
    on: { "*": { actions: ({ event }) => received.push(event) } },
  });
  const actor = createActor(host);
  actor.start();
  await new Promise((resolve) => setImmediate(resolve));
  expect(actor.getSnapshot().status).toBe("active");
  expect(received).toEqual([
    { type: "daemon.failed", reason: expect.stringMatching(/^udhcpc: .*hostname/) },
  ]);
  actor.stop();
});
