import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaseWatcher } from "../../src/dhcp-server/lease-watcher.js";
import type { DhcpLease } from "../../src/dhcp-server/leases.js";
import { silentLogger } from "../../src/log.js";
import { captureLogs } from "../support/capture-logs.js";
import { waitUntil } from "../support/wait.js";
import { encodeLeaseFile, type RawLease } from "./lease-bytes.js";

/**
 * Rewrites the file in place (truncate, write), as udhcpd does, in one write:
 * a test that wrote record by record could be read between two records on a
 * loaded machine, a state it did not mean to show.
 */
async function writeInPlace(path: string, bytes: Buffer, upTo = bytes.length): Promise<void> {
  await writeFile(path, bytes.subarray(0, upTo));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const client: RawLease = {
  remainingSeconds: 3600,
  address: "192.0.2.10",
  mac: "02:00:00:00:00:10",
  hostname: "client",
};

describe("LeaseWatcher", () => {
  let dir: string;
  let path: string;
  let watcher: LeaseWatcher | undefined;
  const reports: DhcpLease[][] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-leases-"));
    path = join(dir, "udhcpd-eth0.leases");
    reports.length = 0;
  });

  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function start(pollMs = 60_000): LeaseWatcher {
    watcher = new LeaseWatcher({
      path,
      logger: silentLogger(),
      pollMs,
      onLeases: (leases) => reports.push(leases),
    });
    return watcher;
  }

  it("reports no leases while there is no file, then each change as udhcpd writes it", async () => {
    start();
    await waitUntil("the first report", () => reports.length === 1);
    expect(reports[0]).toEqual([]);

    const written = nowSeconds();
    await writeInPlace(path, encodeLeaseFile(written, [client]));
    await waitUntil("the lease", () => reports.length === 2);
    const lease = {
      mac: "02:00:00:00:00:10",
      address: "192.0.2.10",
      hostname: "client",
      expiresAt: new Date((written + 3600) * 1000).toISOString(),
    };
    expect(reports[1]).toEqual([lease]);
    expect(watcher?.leases).toEqual([lease]);

    const second: RawLease = {
      remainingSeconds: 3600,
      address: "192.0.2.11",
      mac: "02:00:00:00:00:11",
    };
    await writeInPlace(path, encodeLeaseFile(written, [client, second]));
    await waitUntil("the second lease", () => reports.length === 3);
    expect(reports[2]?.map((each) => each.address)).toEqual(["192.0.2.10", "192.0.2.11"]);
  });

  it("reports nothing for a half-written file or a rewrite that changes nothing", async () => {
    const { lines, logger } = captureLogs();
    const halfReads = () =>
      lines.filter((line) => line.msg === "lease file read while being written").length;
    const written = nowSeconds();
    const bytes = encodeLeaseFile(written, [
      client,
      { ...client, address: "192.0.2.11", mac: "02:00:00:00:00:11" },
    ]);
    await writeInPlace(path, bytes);
    watcher = new LeaseWatcher({
      path,
      logger,
      pollMs: 60_000,
      onLeases: (leases) => reports.push(leases),
    });
    await waitUntil("the first report", () => reports.length === 1);
    expect(reports[0]).toHaveLength(2);
    // Each state is held until the watcher has read it: cut in the middle of a record...
    // (A late change event may have it read twice: count reads, not exact numbers.)
    await writeInPlace(path, bytes, 8 + 36 + 12);
    await waitUntil("the half-written file read", () => halfReads() >= 1);
    const afterFirstCut = halfReads();
    // ...the same leases written again (udhcpd's timed rewrite), then cut again.
    await writeInPlace(path, bytes);
    await writeInPlace(path, bytes, 8 + 36 + 12);
    await waitUntil("the second half-written file read", () => halfReads() > afterFirstCut);
    expect(reports).toHaveLength(1);
    await writeInPlace(path, encodeLeaseFile(written, [client]));
    await waitUntil("the shorter list", () => reports.length === 2);
    expect(reports[1]?.map((each) => each.address)).toEqual(["192.0.2.10"]);
  });

  it("drops a lease when it runs out, with no write to say so", async () => {
    const written = nowSeconds();
    await writeInPlace(
      path,
      encodeLeaseFile(written, [
        client,
        // Whole seconds: it runs out 2 to 3 s from now, after the first read even on a loaded machine.
        { ...client, remainingSeconds: 3, address: "192.0.2.12", mac: "02:00:00:00:00:12" },
      ]),
    );
    start();
    await waitUntil("the first report", () => reports.length === 1);
    expect(reports[0]?.map((each) => each.address)).toEqual(["192.0.2.10", "192.0.2.12"]);
    await waitUntil("the short lease to run out", () => reports.length === 2, 8_000);
    expect(reports[1]?.map((each) => each.address)).toEqual(["192.0.2.10"]);
  });

  it("reports nothing after close", async () => {
    start();
    await waitUntil("the first report", () => reports.length === 1);
    // A second watcher of the same file, to know when the write below has been seen.
    const seen: DhcpLease[][] = [];
    const other = new LeaseWatcher({
      path,
      logger: silentLogger(),
      pollMs: 60_000,
      onLeases: (leases) => seen.push(leases),
    });
    try {
      await waitUntil("the other watcher's first report", () => seen.length === 1);
      await watcher?.close();
      await writeInPlace(path, encodeLeaseFile(nowSeconds(), [client]));
      await waitUntil("the other watcher's lease", () => seen.length === 2);
    } finally {
      await other.close();
    }
    expect(reports).toEqual([[]]);
  });

  it("finds changes by polling where it cannot watch", async () => {
    // Its directory does not exist yet, so there is nothing to watch: the poll is all there is.
    const missing = join(dir, "later");
    path = join(missing, "udhcpd-eth0.leases");
    start(50);
    await waitUntil("the first report", () => reports.length === 1);
    await mkdir(missing);
    await writeInPlace(path, encodeLeaseFile(nowSeconds(), [client]));
    await waitUntil("the polled lease", () => reports.length === 2);
    expect(reports[1]?.map((each) => each.mac)).toEqual(["02:00:00:00:00:10"]);
  });
});
