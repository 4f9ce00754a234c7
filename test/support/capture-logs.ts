import { Writable } from "node:stream";
import { createLogger } from "../../src/log.js";

/** A real logger (redaction included) whose JSON lines the test can read. */
export function captureLogs(level = "debug") {
  const lines: Array<Record<string, unknown>> = [];
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      texts.push(String(chunk));
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, texts, logger: createLogger({ level, destination }) };
}
