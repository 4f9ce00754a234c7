import { Writable } from "node:stream";
import { createLogger, type LogFormat } from "../../src/log.js";

/**
 * A real logger (redaction included) whose output the test can read: `texts`
 * as written, and for JSON lines (the default) `lines` parsed.
 */
export function captureLogs(level = "debug", format: LogFormat = "json") {
  const lines: Array<Record<string, unknown>> = [];
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      texts.push(String(chunk));
      if (format === "json") lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, texts, logger: createLogger({ level, format, destination }) };
}
