import { describe, expect, it } from "vitest";
import { type LogLine, silentLogger, tapWarnings } from "../../src/log.js";
import { captureLogs } from "../support/capture-logs.js";

describe("the warnings tap (the visualizer's log panel)", () => {
  it("gets every warning and error of the logger and its children, with their fields", () => {
    // The logger's own lines are kept, to show the tap takes nothing from them.
    const { texts: lines, logger } = captureLogs("info");
    const tapped: LogLine[] = [];
    const untap = tapWarnings(logger, (line) => tapped.push(line));
    const child = logger.child({ ifname: "eth0" });
    child.info({ state: "configured" }, "interface state");
    child.warn({ skipped: ["wlan0"] }, "interfaces left without routes");
    logger.error({ err: new Error("udhcpc exited") }, "daemon died");
    logger.error(new Error("bare error"));
    logger.warn("plain words");
    expect(tapped.map(({ at: _at, ...line }) => line)).toEqual([
      {
        level: "warn",
        msg: "interfaces left without routes",
        fields: { ifname: "eth0", skipped: ["wlan0"] },
      },
      { level: "error", msg: "daemon died", fields: { err: "udhcpc exited" } },
      { level: "error", msg: "bare error", fields: { err: "bare error" } },
      { level: "warn", msg: "plain words", fields: {} },
    ]);
    // The lines themselves are written as ever.
    expect(lines.join("")).toContain('"msg":"interfaces left without routes"');
    expect(lines.join("")).toContain('"msg":"interface state"');

    untap();
    logger.warn("after the tap");
    expect(tapped).toHaveLength(4);
  });

  it("taps nothing of a logger it did not make, nor of a silent one", () => {
    const tapped: LogLine[] = [];
    const silent = silentLogger();
    tapWarnings(silent, (line) => tapped.push(line))();
    silent.warn("unheard");
    const quiet = captureLogs("silent").logger;
    tapWarnings(quiet, (line) => tapped.push(line));
    quiet.error("unheard too");
    expect(tapped).toEqual([]);
  });
});
