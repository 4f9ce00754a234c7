import { expect, it } from "vitest";
import { captureLogs } from "../support/capture-logs.js";

it("masks secrets at any of the first levels and keeps property keys readable", () => {
  const { texts, logger } = captureLogs("info");
  logger.info(
    {
      config: { type: "wifi", networks: { home: { psk: "hunter2hunter2", wepKey: "0123456789" } } },
      eap: { password: "s3cret", privateKeyPassword: "pem-pass" },
      interface: {
        config: { type: "wifi", wifi: { networks: [{ ssid: "lab", psk: "deep-in-a-list" }] } },
      },
      change: { key: ["interface", "eth0", "connection"], new: "internet" },
    },
    "configured",
  );
  const text = texts.join("");
  for (const secret of ["hunter2hunter2", "0123456789", "s3cret", "pem-pass", "deep-in-a-list"]) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain('"key":["interface","eth0","connection"]');
});
