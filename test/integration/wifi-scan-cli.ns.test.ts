import { execa } from "execa";
import { expect, it } from "vitest";
import type { Lab } from "../../lab/namespace-lab.js";
import { describeAsRoot } from "../support/root.js";
import {
  type DaemonConfigWriter,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/**
 * `statenet wifi scan` against the real daemon: no radio here (a real scan
 * is proven in the VM), so what is proven is the way from the command line
 * to the daemon's interface requests and back, for interfaces that run no
 * WiFi.
 */
describeAsRoot("statenet wifi scan (the CLI daemon in a namespace)", () => {
  let lab: Lab;
  let daemonConfig: DaemonConfigWriter;
  useCliLab("wifi-scan", { uplinks: ["eth0"] }, (fixture) => {
    ({ lab, daemonConfig } = fixture);
  });

  it("exits 2 saying that nothing serves wifi.scan, for an Ethernet interface and for one nothing configures", async () => {
    const { configPath } = await daemonConfig("wifi-scan", {
      interfaces: { eth0: lab.staticConfig("eth0") },
    });
    const cli = (...args: string[]) =>
      execa(STATENET, [...args, "--config", configPath], { reject: false });
    const daemon = runStatenetDaemon(lab, configPath);
    try {
      await waitUntil(
        "the daemon's control socket",
        async () => (await cli("info")).exitCode === 0,
        10_000,
      );
      const results = await Promise.all([
        cli("wifi", "scan", "eth0"),
        cli("wifi", "scan", "eth0", "--json"),
        cli("wifi", "scan", "wlan9"),
      ]);
      const message = (ifname: string) =>
        `${ifname}: nothing running serves wifi.scan (is it configured for it, and up?)`;
      expect(results.map(({ exitCode, stdout, stderr }) => ({ exitCode, stdout, stderr }))).toEqual(
        [
          { exitCode: 2, stdout: "", stderr: `statenet: ${message("eth0")}` },
          // With --json, the failure is JSON on stdout, with the same exit code.
          {
            exitCode: 2,
            stdout: JSON.stringify({
              ok: false,
              error: { code: "unavailable", message: message("eth0") },
            }),
            stderr: "",
          },
          { exitCode: 2, stdout: "", stderr: `statenet: ${message("wlan9")}` },
        ],
      );
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
  }, 40_000);
});
