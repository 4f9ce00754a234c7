// Nothing a test starts may change the networking of the machine it runs on:
// the ip runner refuses to change the initial namespace when this is set.
process.env.STATENET_REQUIRE_NETNS = "1";
