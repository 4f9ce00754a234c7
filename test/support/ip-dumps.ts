// Captured with `ip netns exec <lab device ns> ip -j -p -d link show` and
// `ip -j -p addr show` (iproute2 6.1) in a Lab with uplinks eth0 and wlan0,
// after `addr add 192.0.2.10/24 dev eth0`, `addr add 2001:db8::10/64 dev eth0
// nodad`, `addr add 198.51.100.10/24 dev wlan0`. Verbatim.
export const CONNECTED_LINKS = `
[ {
        "ifindex": 1,
        "ifname": "lo",
        "flags": [ "LOOPBACK","UP","LOWER_UP" ],
        "mtu": 65536,
        "qdisc": "noqueue",
        "operstate": "UNKNOWN",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "loopback",
        "address": "00:00:00:00:00:00",
        "broadcast": "00:00:00:00:00:00",
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 0,
        "max_mtu": 0,
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 1,
        "num_rx_queues": 1,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    },{
        "ifindex": 2,
        "link_index": 2,
        "ifname": "eth0",
        "flags": [ "BROADCAST","MULTICAST","UP","LOWER_UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "UP",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "02:81:c1:49:ef:69",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 0,
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 68,
        "max_mtu": 65535,
        "linkinfo": {
            "info_kind": "veth"
        },
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 2,
        "num_rx_queues": 2,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    },{
        "ifindex": 3,
        "link_index": 2,
        "ifname": "wlan0",
        "flags": [ "BROADCAST","MULTICAST","UP","LOWER_UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "UP",
        "linkmode": "DEFAULT",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "1e:7e:bb:bc:4b:70",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 1,
        "promiscuity": 0,
        "allmulti": 0,
        "min_mtu": 68,
        "max_mtu": 65535,
        "linkinfo": {
            "info_kind": "veth"
        },
        "inet6_addr_gen_mode": "eui64",
        "num_tx_queues": 2,
        "num_rx_queues": 2,
        "gso_max_size": 65536,
        "gso_max_segs": 65535,
        "tso_max_size": 524280,
        "tso_max_segs": 65535,
        "gro_max_size": 65536
    } ]`;

export const CONNECTED_ADDRS = `
[ {
        "ifindex": 1,
        "ifname": "lo",
        "flags": [ "LOOPBACK","UP","LOWER_UP" ],
        "mtu": 65536,
        "qdisc": "noqueue",
        "operstate": "UNKNOWN",
        "group": "default",
        "txqlen": 1000,
        "link_type": "loopback",
        "address": "00:00:00:00:00:00",
        "broadcast": "00:00:00:00:00:00",
        "addr_info": [ {
                "family": "inet",
                "local": "127.0.0.1",
                "prefixlen": 8,
                "scope": "host",
                "label": "lo",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "::1",
                "prefixlen": 128,
                "scope": "host",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    },{
        "ifindex": 2,
        "link_index": 2,
        "ifname": "eth0",
        "flags": [ "BROADCAST","MULTICAST","UP","LOWER_UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "UP",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "02:81:c1:49:ef:69",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 0,
        "addr_info": [ {
                "family": "inet",
                "local": "192.0.2.10",
                "prefixlen": 24,
                "scope": "global",
                "label": "eth0",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "2001:db8::10",
                "prefixlen": 64,
                "scope": "global",
                "nodad": true,
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "fe80::81:c1ff:fe49:ef69",
                "prefixlen": 64,
                "scope": "link",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    },{
        "ifindex": 3,
        "link_index": 2,
        "ifname": "wlan0",
        "flags": [ "BROADCAST","MULTICAST","UP","LOWER_UP" ],
        "mtu": 1500,
        "qdisc": "noqueue",
        "operstate": "UP",
        "group": "default",
        "txqlen": 1000,
        "link_type": "ether",
        "address": "1e:7e:bb:bc:4b:70",
        "broadcast": "ff:ff:ff:ff:ff:ff",
        "link_netnsid": 1,
        "addr_info": [ {
                "family": "inet",
                "local": "198.51.100.10",
                "prefixlen": 24,
                "scope": "global",
                "label": "wlan0",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            },{
                "family": "inet6",
                "local": "fe80::1c7e:bbff:febc:4b70",
                "prefixlen": 64,
                "scope": "link",
                "valid_life_time": 4294967295,
                "preferred_life_time": 4294967295
            } ]
    } ]`;
