import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, type LogLine, silentLogger, tapWarnings } from "../../src/log.js";

/** Where the logger's own lines go: kept, to show the tap takes nothing from them. */
function kept(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe("the warnings tap (the visualizer's log panel)", () => {
  it("gets every warning and error of the logger and its children, with their fields", () => {
    const { lines, stream } = kept();
    const logger = createLogger({ level: "info", destination: stream });
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
    const quiet = createLogger({ level: "silent", destination: kept().stream });
    tapWarnings(quiet, (line) => tapped.push(line));
    quiet.error("unheard too");
    expect(tapped).toEqual([]);
  });
});
