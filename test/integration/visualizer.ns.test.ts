import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import { relayPages } from "../../src/cli/relay.js";
import { type Relay, startRelay } from "../../src/inspect/relay.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";

/** Debian's Chromium (scripts/install-system-packages); playwright-core downloads no browser. */
const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url));

describeAsRoot("the offline visualizer in a real browser", () => {
  let lab: Lab;
  let relay: Relay;
  let running: LabManager | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: run scripts/install-system-packages`);
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"] });
    relay = await startRelay({ port: 0, pages: relayPages });
    running = await startLabManager(
      lab,
      { interfaces: { eth0: lab.staticConfig("eth0"), wlan0: lab.staticConfig("wlan0") } },
      { inspect: relay.url },
    );
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await relay?.close();
    await lab?.teardown();
  });

  it("shows the actor tree, the interface machine's state and the route order, live", async () => {
    await page.goto(relay.httpUrl);
    await page.getByText("live", { exact: true }).waitFor();
    const order = page.locator("#route-order");
    await expect.poll(() => order.textContent(), { timeout: 10_000 }).toBe("eth0 > wlan0");

    await page.locator("#actors span[data-session]", { hasText: "interface:eth0" }).click();
    await expect
      .poll(() => page.locator("#diagram-title").textContent())
      .toBe("interface:eth0 (interface)");
    const highlighted = page.locator("#diagram g.active");
    await expect.poll(() => highlighted.getAttribute("data-state")).toBe("interface_configured");

    await lab.unplug("eth0");
    try {
      await expect.poll(() => order.textContent(), { timeout: 10_000 }).toBe("wlan0");
      await expect
        .poll(() => page.locator("#log").textContent())
        .toContain("link.changed ifname=eth0");
      await mkdir(OUTPUT, { recursive: true });
      await page.screenshot({
        path: join(OUTPUT, "visualizer-eth0-unplugged.png"),
        fullPage: true,
      });
    } finally {
      await lab.plug("eth0");
    }
    await expect.poll(() => order.textContent(), { timeout: 10_000 }).toBe("eth0 > wlan0");
  });
});
