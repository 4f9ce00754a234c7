import { describe, expect, it } from "vitest";
import { wiredWpaSupplicantConf } from "../../src/ieee8021x/wpa-supplicant-conf.js";

const hex = (value: string) => Buffer.from(value, "utf8").toString("hex");

describe("wpa_supplicant's wired config", () => {
  it("EAP-MD5: every value hex-encoded, so nothing in it can end a value or add a line", () => {
    const password = 'x"\n}\nnetwork={\n\tkey_mgmt=NONE';
    expect(wiredWpaSupplicantConf({ eap: "md5", identity: "user1", password })).toBe(
      [
        "# Written by statenet on every start of wpa_supplicant; changes are lost.",
        "ap_scan=0",
        "network={",
        "\tkey_mgmt=IEEE8021X",
        "\teapol_flags=0",
        "\teap=MD5",
        `\tidentity=${hex("user1")}`,
        `\tpassword=${hex(password)}`,
        "}",
        "",
      ].join("\n"),
    );
  });

  it("PEAP: MSCHAPv2 inside, the server checked by CA and domain; no anonymous identity unless given", () => {
    const conf = wiredWpaSupplicantConf({
      eap: "peap",
      identity: "alice",
      password: "secret",
      caCert: "/etc/ssl/ca.pem",
      serverDomain: "radius.example",
    });
    expect(conf).toContain('\tphase2="auth=MSCHAPV2"\n');
    expect(conf).toContain(`\tca_cert=${hex("/etc/ssl/ca.pem")}\n`);
    expect(conf).toContain(`\tdomain_suffix_match=${hex("radius.example")}\n`);
    expect(conf).not.toContain("anonymous_identity");
  });

  it("TTLS: PAP or MSCHAPv2 inside", () => {
    const ttls = {
      eap: "ttls" as const,
      identity: "bob",
      password: "secret",
      caCert: "/ca.pem",
    };
    expect(wiredWpaSupplicantConf({ ...ttls, phase2: "pap" })).toContain("\teap=TTLS\n");
    expect(wiredWpaSupplicantConf({ ...ttls, phase2: "pap" })).toContain('\tphase2="auth=PAP"\n');
    expect(wiredWpaSupplicantConf({ ...ttls, phase2: "mschapv2" })).toContain(
      '\tphase2="auth=MSCHAPV2"\n',
    );
  });

  it("TLS: certificate, key and the key's password", () => {
    const conf = wiredWpaSupplicantConf({
      eap: "tls",
      identity: "device-17",
      clientCert: "/c.pem",
      privateKey: "/k.pem",
      privateKeyPassword: "kp",
      caCert: "/ca.pem",
    });
    expect(conf.split("\n").filter((line) => line.startsWith("\t"))).toEqual([
      "\tkey_mgmt=IEEE8021X",
      "\teapol_flags=0",
      "\teap=TLS",
      `\tidentity=${hex("device-17")}`,
      `\tclient_cert=${hex("/c.pem")}`,
      `\tprivate_key=${hex("/k.pem")}`,
      `\tprivate_key_passwd=${hex("kp")}`,
      `\tca_cert=${hex("/ca.pem")}`,
    ]);
  });
});
