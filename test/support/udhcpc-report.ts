/** What udhcpc gave its script in the lab (research/linux-lab.md §1), plus the event name. */
export const BOUND: Readonly<Record<string, string>> = {
  event: "bound",
  interface: "eth0",
  ip: "192.0.2.133",
  subnet: "255.255.255.0",
  mask: "24",
  router: "192.0.2.1",
  dns: "192.0.2.1 192.0.2.2",
  domain: "lab.test",
  lease: "30",
  serverid: "192.0.2.1",
  opt53: "05",
};
