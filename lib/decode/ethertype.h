/* ethertype.h: the Ethernet type numbers NETCAP acts on, named once
 * (IEEE registry; tcpdump's ethertype.h is the model). IP protocol
 * numbers come from <netinet/in.h> (IPPROTO_TCP, ...), see ipproto.h. */
#ifndef DECODE_ETHERTYPE_H
#define DECODE_ETHERTYPE_H

/* A type field below this is an 802.3 length (IEEE 802.3 clause 3.2.6). */
#define ETHERTYPE_MIN      0x0600

#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_ARP      0x0806
#define ETHERTYPE_VLAN     0x8100   /* 802.1Q */
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_QINQ     0x88a8   /* 802.1ad service tag */
#define ETHERTYPE_LLDP     0x88cc
#define ETHERTYPE_LOOPBACK 0x9000   /* Ethernet configuration testing protocol */
#define ETHERTYPE_QINQ_OLD 0x9100   /* pre-standard QinQ */

#endif
