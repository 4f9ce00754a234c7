// Captured with iproute2 6.1 in a lab namespace: a busybox nc session to an
// echo server, then the same socket after the server's input was dropped by nft.
export const ESTABLISHED = [
  "0      0      192.0.2.10:56384 192.0.2.1:53",
  "\t bbr wscale:10,10 rto:204 rtt:0.069/0.031 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:13 bytes_sent:21 bytes_acked:22 bytes_received:21 segs_out:8 segs_in:5 data_segs_out:3 data_segs_in:3 bbr:(bw:1053090592bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672) send 2182492754bps lastsnd:400 lastrcv:400 lastack:400 pacing_rate 4534978280bps delivery_rate 1053090904bps delivered:4 app_limited rcv_space:14480 rcv_ssthresh:64088 minrtt:0.011 snd_wnd:65536",
  "",
].join("\n");

export const RETRANSMITTING_WITH_STATE = [
  "ESTAB 0      17     192.0.2.10:56392 192.0.2.1:53",
  "\t bbr wscale:10,10 rto:1632 backoff:3 rtt:0.043/0.024 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:1 bytes_sent:92 bytes_retrans:68 bytes_acked:8 bytes_received:7 segs_out:9 segs_in:3 data_segs_out:6 data_segs_in:1 bbr:(bw:965333096bps,mrtt:0.012,pacing_gain:2.88672,cwnd_gain:2.88672) send 269395349bps lastsnd:160 lastrcv:3020 lastack:3020 pacing_rate 6896947776bps delivery_rate 965333328bps delivered:2 app_limited busy:1824ms unacked:1 retrans:1/4 lost:1 rcv_space:14480 rcv_ssthresh:64088 minrtt:0.012 snd_wnd:65536",
  "",
].join("\n");

// Captured with iproute2 6.1 in a lab namespace: an IPv6 connection from
// 2001:db8:1::10 to an echo server on 2001:db8:99::53 port 443, after one line
// each way (the server's end of the connection left out).
export const IPV6_ESTABLISHED = [
  "0      0       [2001:db8:1::10]:36673 [2001:db8:99::53]:443  ",
  "\t bbr wscale:10,10 rto:204 rtt:0.055/0.022 ato:40 mss:32768 pmtu:65536 rcvmss:536 advmss:65464 cwnd:11 bytes_sent:6 bytes_acked:7 bytes_received:6 segs_out:4 segs_in:3 data_segs_out:1 data_segs_in:1 bbr:(bw:5140078120bps,mrtt:0.051,pacing_gain:2.88672,cwnd_gain:2.88672) send 52428800000bps lastsnd:24 lastrcv:24 lastack:24 pacing_rate 133633119944bps delivery_rate 5140078424bps delivered:2 app_limited rcv_space:65476 rcv_ssthresh:65476 minrtt:0.051 snd_wnd:65536",
  "",
].join("\n");
