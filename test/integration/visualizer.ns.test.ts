import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../lab/namespace-lab.js";
import { relayPages } from "../../src/cli/relay.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { type Relay, startRelay } from "../../src/inspect/relay.js";
import type { Logger } from "../../src/log.js";
import { captureLogs } from "../support/capture-logs.js";
import { FAST_CHECKS } from "../support/fast-checks.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { type Started, startInternetServer } from "../support/lab-processes.js";
import { describeAsRoot } from "../support/root.js";

/** Debian's Chromium (scripts/install-system-packages); playwright-core downloads no browser. */
const CHROMIUM = "/usr/bin/chromium";
/** Screenshots land here (git-ignored); CI keeps the directory as an artifact. */
const OUTPUT = fileURLToPath(new URL("../../test-output/visualizer/", import.meta.url));
const INTERNET_HOST = "203.0.113.53";
const ECHO_PORT = 7;
/** Checks every second, so periodic checks fill the log within the test. */
const TIMINGS = {
  ...FAST_CHECKS,
  recoveryChecks: 3,
  maxBytesPerDay: 100_000_000,
};

describeAsRoot("the offline visualizer in a real browser", () => {
  let lab: Lab;
  let relay: Relay;
  let running: LabManager | undefined;
  let browser: Browser;
  let page: Page;
  let logger: Logger;
  const servers: Array<LabServer | Started> = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: run scripts/install-system-packages`);
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] });
    servers.push(await lab.startDhcpServer("eth0"));
    servers.push(
      await startInternetServer(lab.internetNs as string, INTERNET_HOST, { echo: [ECHO_PORT] }),
    );
    relay = await startRelay({ port: 0, pages: relayPages });
    // A real logger (its lines are only kept): warnings reach the page through it.
    logger = captureLogs("warn").logger;
    running = await startLabManager(
      lab,
      {
        interfaces: {
          eth0: { type: "ethernet", ipv4: { method: "dhcp" }, connectivity: TIMINGS },
          wlan0: { ...lab.staticConfig("wlan0"), connectivity: TIMINGS } as InterfaceConfig,
        },
        internetHosts: [{ host: INTERNET_HOST, port: ECHO_PORT }],
      },
      { inspect: relay.url, logger },
    );
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await mkdir(OUTPUT, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await relay?.close();
    for (const server of servers) await server.stop();
    await lab?.teardown();
  });

  const title = () => page.locator("#diagram-title").textContent();
  const logRows = () => page.locator("#log li").allTextContents();

  it("shows the network's status, each uplink's state, and opens on an interface", async () => {
    await page.goto(relay.httpUrl);
    await page.getByText("relay: live", { exact: true }).waitFor();
    await expect
      .poll(() => page.locator("#network").textContent(), { timeout: 15_000 })
      .toBe("network: internet");
    const uplink = (ifname: string) => page.locator(`#uplinks li[data-ifname="${ifname}"]`);
    await expect.poll(() => uplink("eth0").textContent()).toBe("eth0 internet · configured");
    await expect.poll(() => uplink("wlan0").textContent()).toBe("wlan0 internet · configured");
    await expect.poll(() => page.locator("#route-order").textContent()).toBe("eth0 > wlan0");
    // Not the root (the manager): an interface, with its state as a path of text.
    await expect.poll(title).toMatch(/^interface:(eth0|wlan0) \(interface\)$/);
    await expect.poll(() => page.locator("#state-path").textContent()).toBe("configured");
  });

  it("opens on the interface that changed last", async () => {
    await lab.unplug("wlan0");
    try {
      await expect.poll(title, { timeout: 10_000 }).toBe("interface:wlan0 (interface)");
      await expect.poll(() => page.locator("#route-order").textContent()).toBe("eth0");
      // A new visitor gets the same: the replayed picture says which changed last.
      await page.reload();
      await page.getByText("relay: live", { exact: true }).waitFor();
      await expect.poll(title).toBe("interface:wlan0 (interface)");
      await page.screenshot({ path: join(OUTPUT, "wlan0-unplugged-1280x800.png") });
    } finally {
      await lab.plug("wlan0");
    }
    await expect
      .poll(() => page.locator("#route-order").textContent(), { timeout: 15_000 })
      .toBe("eth0 > wlan0");
  });

  it("lays the properties out readably at 1280×800", async () => {
    await page.locator('#uplinks li[data-ifname="eth0"]').click();
    await expect.poll(title).toBe("interface:eth0 (interface)");
    const panel = page.locator("#properties-panel");
    const row = page.locator('#properties tr[data-key="interface/eth0/addresses"]');
    await row.waitFor();
    const panelBox = await panel.boundingBox();
    const valueBox = await row.locator("td").nth(1).boundingBox();
    if (!panelBox || !valueBox)
      throw new Error("the properties panel or its value column is not shown");
    // The value column is on the screen, inside its panel, and a third of it at least.
    expect(valueBox.x).toBeGreaterThanOrEqual(panelBox.x);
    expect(valueBox.x + valueBox.width).toBeLessThanOrEqual(panelBox.x + panelBox.width + 1);
    expect(valueBox.x + valueBox.width).toBeLessThanOrEqual(1280);
    expect(valueBox.width).toBeGreaterThanOrEqual(panelBox.width / 3);
    const heights = await page
      .locator("#properties tr")
      .evaluateAll((rows) =>
        rows.map((tr) => [tr.getAttribute("data-key"), tr.getBoundingClientRect().height] as const),
      );
    expect(heights.length).toBeGreaterThan(20);
    for (const [key, height] of heights) expect(height, String(key)).toBeLessThanOrEqual(120);
    // A diagram at a readable size: its state labels at 10 px or more.
    const fontSize = await page
      .locator("#diagram g.node text")
      .first()
      .evaluate((text) => text.getBoundingClientRect().height);
    expect(fontSize).toBeGreaterThanOrEqual(10);
    await page.screenshot({ path: join(OUTPUT, "eth0-1280x800.png") });
  });

  it("keeps a property's row in place while other properties change", async () => {
    const lastCheck = page.locator(
      '#properties tr[data-key="interface/eth0/connectivity/last_check"] td:nth-child(2)',
    );
    const before = await lastCheck.textContent();
    // Marked in the page: a row drawn anew would come without the mark.
    await page
      .locator('#properties tr[data-key="interface/eth0/addresses"]')
      .evaluate((row) => row.setAttribute("data-test-mark", "kept"));
    await expect.poll(() => lastCheck.textContent(), { timeout: 15_000 }).not.toBe(before);
    expect(
      await page
        .locator('#properties tr[data-key="interface/eth0/addresses"]')
        .getAttribute("data-test-mark"),
    ).toBe("kept");
  });

  it("shows the lease, the last probes with their round trip, the routes and rules as applied", async () => {
    await expect
      .poll(() => page.locator("#lease").textContent())
      .toMatch(/address192\.0\.2\.\d+\/24/);
    await expect.poll(() => page.locator("#lease").textContent()).toContain("lease3600 s");
    await expect.poll(() => page.locator("#probes").textContent()).toMatch(/ok[\d.]+ ms/);
    const routes = page.locator("#routes li.mine");
    await expect
      .poll(() => routes.allTextContents())
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^rule: from 192\.0\.2\.\d+ lookup \d+ pref \d+$/),
          expect.stringMatching(/^route: default via 192\.0\.2\.1 dev eth0 table main metric \d+$/),
        ]),
      );
  });

  it("filters the events, hides periodic checks by default, and shows none twice", async () => {
    // Periodic checks happen (the checker's details move) but stay out of the log.
    await expect.poll(() => page.locator("#probes tr").count()).toBeGreaterThan(2);
    expect(await page.locator("#hide-periodic").isChecked()).toBe(true);
    expect((await logRows()).some((row) => row.includes("connectivity.checked"))).toBe(false);
    await page.locator("#hide-periodic").uncheck();
    await expect
      .poll(async () => (await logRows()).some((row) => row.includes("connectivity.checked")))
      .toBe(true);
    await page.locator("#hide-periodic").check();
    await expect
      .poll(async () => (await logRows()).some((row) => row.includes("connectivity.checked")))
      .toBe(false);

    const shown = (attribute: string) => () =>
      page
        .locator("#log li")
        .evaluateAll(
          (rows, name) => [...new Set(rows.map((row) => row.getAttribute(name)))],
          attribute,
        );
    await page.locator("#filter-actor").selectOption("routeManager");
    await expect.poll(shown("data-actor")).toEqual(["routeManager"]);
    await page.locator("#filter-actor").selectOption("");
    await expect.poll(async () => (await shown("data-actor")()).length).toBeGreaterThan(1);

    await page.locator("#filter-kind").selectOption("link.changed");
    await expect.poll(shown("data-kind")).toEqual(["link.changed"]);
    await page.locator("#filter-kind").selectOption("");
    await expect.poll(async () => (await shown("data-kind")()).length).toBeGreaterThan(1);

    await page.locator("#hide-periodic").uncheck();
    await expect
      .poll(async () => (await logRows()).some((row) => row.includes("connectivity.checked")))
      .toBe(true);
    const rows = await logRows();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((row, index) => rows.indexOf(row) !== index)).toEqual([]);
    await page.locator("#hide-periodic").check();
  });

  it("shows the daemon's warnings and errors", async () => {
    logger.child({ ifname: "eth0" }).warn({ problem: "a test's warning" }, "visualizer test");
    await expect
      .poll(() => page.locator("#log-lines").textContent())
      .toMatch(/WARN visualizer test ifname=eth0 problem=a test's warning/);
    await expect
      .poll(() => page.locator("#warnings").textContent())
      .toMatch(/^\d+ warnings? or errors?$/);
  });

  it("saves screenshots at the sizes people use", async () => {
    for (const [width, height] of [
      [1400, 900],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.locator("#zoom-active").click();
      await page.screenshot({ path: join(OUTPUT, `eth0-${width}x${height}.png`) });
    }
    // The root's diagram (its events handled in every state) fits its panel, readably.
    await page
      .locator("#actors span[data-session]", { hasText: /^manager/ })
      .first()
      .click();
    await expect.poll(title).toBe("manager (manager)");
    // Graphviz names the graph after the machine.
    await expect
      .poll(() => page.locator("#diagram svg > g > title").first().textContent())
      .toBe("manager");
    const note = await page.locator("#diagram svg").boundingBox();
    const panel = await page.locator("#diagram").boundingBox();
    if (!note || !panel) throw new Error("no manager diagram");
    expect(note.height).toBeLessThanOrEqual(panel.height + 1);
    await page.screenshot({ path: join(OUTPUT, "manager-1920x1080.png") });
  });
});
