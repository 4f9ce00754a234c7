import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelFrequency } from "../../lab/vm/access-point.js";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { RadioLab } from "../../lab/vm/radio-lab.js";
import { listRadios, type Radio } from "../../lab/vm/radios.js";
import { leaseOnce } from "../../lab/vm/station-lease.js";
import { processExit, terminate } from "../../src/linux/terminate.js";
import { waitUntil } from "../support/wait.js";

// Runs inside the VM lab (test/vm/vm-lab.test.ts boots it); anywhere else it fails here.
requireVmLab();

const SSID = "statenet-lab";
const PASSPHRASE = "correct horse battery";
const CHANNEL = 6;
const AP_ADDRESS = "192.0.2.1";

describe("WiFi over mac80211_hwsim radios", () => {
  let lab: RadioLab;
  let dir: string;
  let apNs: string;
  let staNs: string;
  let apRadio: Radio;
  let staRadio: Radio;
  const children: ResultPromise[] = [];

  /** A daemon in a namespace, as our child, killed by its pid after the tests. */
  const spawnIn = (ns: string, argv: string[]) => {
    const child = execa("ip", ["netns", "exec", ns, ...argv], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
      reject: false,
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-radios-"));
    lab = await RadioLab.create({ radios: 3 });
    [apNs, staNs] = await Promise.all([lab.namespace("ap"), lab.namespace("sta")]);
    apRadio = lab.radio(0);
    staRadio = lab.radio(1);
  });

  afterAll(async () => {
    for (const child of children) {
      // One that ended is not signalled: its pid may be someone else's by now.
      const running = child.exitCode === null && child.signalCode === null;
      if (child.pid !== undefined && running) await terminate(child.pid, processExit(child));
    }
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads three radios, each with its own MAC", () => {
    expect(lab.radios).toHaveLength(3);
    expect(new Set(lab.radios.map((radio) => radio.mac)).size).toBe(3);
    expect(new Set(lab.radios.map((radio) => radio.phy)).size).toBe(3);
  });

  it("moves a radio into a namespace, with its interface", async () => {
    await lab.moveRadio(apRadio, apNs);
    await lab.moveRadio(staRadio, staNs);
    expect(await listRadios(apNs)).toEqual([apRadio]);
    expect(await listRadios(staNs)).toEqual([staRadio]);
    expect(await listRadios()).toEqual([lab.radio(2)]);
  });

  it("associates a wpa_supplicant station with a WPA2-PSK hostapd, leases an address over the air and pings", async () => {
    const ap = await lab.startAccessPoint({
      ifname: apRadio.ifname,
      ns: apNs,
      ssid: SSID,
      channel: CHANNEL,
      security: { type: "wpa2-psk", passphrase: PASSPHRASE },
    });

    // scan_freq: only the AP's channel; a full hwsim scan costs seconds under TCG.
    const ctrlDir = join(dir, "wpa");
    const conf = join(dir, "wpa_supplicant.conf");
    await writeFile(
      conf,
      [
        `ctrl_interface=DIR=${ctrlDir}`,
        "network={",
        `  ssid="${SSID}"`,
        "  key_mgmt=WPA-PSK",
        `  psk="${PASSPHRASE}"`,
        `  scan_freq=${channelFrequency(CHANNEL)}`,
        "}",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const supplicant = spawnIn(staNs, [
      "wpa_supplicant",
      "-D",
      "nl80211",
      "-i",
      staRadio.ifname,
      "-c",
      conf,
    ]);
    const status = async () =>
      (await lab.exec(staNs, "wpa_cli", ["-p", ctrlDir, "-i", staRadio.ifname, "status"])).stdout;
    const associated = await waitUntil(
      "wpa_state=COMPLETED",
      async () => {
        if (supplicant.exitCode !== null)
          throw new Error(`wpa_supplicant exited ${supplicant.exitCode}`);
        const text = await status();
        return /^wpa_state=COMPLETED$/m.test(text) && text;
      },
      60_000,
      200,
    );
    expect(associated).toMatch(/^key_mgmt=WPA2-PSK$/m);
    expect(associated).toMatch(`ssid=${SSID}`);
    await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${staRadio.mac}`));

    await lab.exec(apNs, "ip", ["addr", "add", `${AP_ADDRESS}/24`, "dev", apRadio.ifname]);
    const udhcpdConf = join(dir, "udhcpd.conf");
    await writeFile(
      udhcpdConf,
      [
        `interface ${apRadio.ifname}`,
        "start 192.0.2.100",
        "end 192.0.2.150",
        `lease_file ${join(dir, "udhcpd.leases")}`,
        `pidfile ${join(dir, "udhcpd.pid")}`,
        "option subnet 255.255.255.0",
        `option router ${AP_ADDRESS}`,
        "option lease 600",
        "",
      ].join("\n"),
    );
    // -a 0: no ARP probe of the offered address (seconds under TCG).
    spawnIn(apNs, ["busybox", "udhcpd", "-f", "-a", "0", udhcpdConf]);
    await waitUntil(
      "udhcpd listening on UDP port 67",
      async () => (await lab.exec(apNs, "ss", ["-H", "-lun", "sport = :67"])).stdout.trim() !== "",
      30_000,
      100,
    );

    await leaseOnce(lab, staNs, staRadio.ifname, dir);
    const { stdout } = await lab.exec(staNs, "ip", [
      "-j",
      "-4",
      "addr",
      "show",
      "dev",
      staRadio.ifname,
    ]);
    const [link] = JSON.parse(stdout) as Array<{
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    expect(link?.addr_info).toEqual([expect.objectContaining({ prefixlen: 24 })]);
    expect(link?.addr_info[0]?.local).toMatch(/^192\.0\.2\.(1[0-4]\d|150)$/);

    // No veth between the namespaces: the radio link is the only way across.
    const ping = await lab.exec(staNs, "busybox", ["ping", "-c", "3", "-W", "10", AP_ADDRESS]);
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 packets received/);
  });
});
