import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { createLogger } from "../../src/log.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination }) };
}

it("masks secrets at any of the first levels and keeps property keys readable", () => {
  const { lines, logger } = capture();
  logger.info(
    {
      config: { type: "wifi", networks: { home: { psk: "hunter2hunter2", wepKey: "0123456789" } } },
      eap: { password: "s3cret", privateKeyPassword: "pem-pass" },
      change: { key: ["interface", "eth0", "connection"], new: "internet" },
    },
    "configured",
  );
  const text = lines.join("");
  for (const secret of ["hunter2hunter2", "0123456789", "s3cret", "pem-pass"]) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain('"key":["interface","eth0","connection"]');
});
