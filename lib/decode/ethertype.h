/* ethertype.h: the Ethernet type numbers NETCAP acts on, named once
 * (IEEE registry; tcpdump's ethertype.h is the model). IP protocol
 * numbers come from <netinet/in.h> (IPPROTO_TCP, ...), see ipproto.h. */
#ifndef DECODE_ETHERTYPE_H
#define DECODE_ETHERTYPE_H

/* A type field below this is an 802.3 length (IEEE 802.3 clause 3.2.6). */
#define ETHERTYPE_MIN      0x0600

#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_ARP      0x0806
#define ETHERTYPE_ERSPAN_III 0x22eb /* ERSPAN type III in GRE */
#define ETHERTYPE_TEB      0x6558   /* transparent Ethernet bridging (GRE, Geneve) */
#define ETHERTYPE_VLAN     0x8100   /* 802.1Q */
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_MPLS     0x8847   /* MPLS unicast (RFC 3032) */
#define ETHERTYPE_MPLS_MULTI 0x8848 /* MPLS multicast (RFC 5332) */
#define ETHERTYPE_PPPOE_DISC 0x8863 /* PPPoE discovery (RFC 2516) */
#define ETHERTYPE_PPPOE_SESS 0x8864 /* PPPoE session */
#define ETHERTYPE_PPP      0x880b   /* PPP in PPTP's enhanced GRE (RFC 2637) */
#define ETHERTYPE_QINQ     0x88a8   /* 802.1ad service tag */
#define ETHERTYPE_ERSPAN_II 0x88be  /* ERSPAN type II, or type I without a GRE sequence number */
#define ETHERTYPE_LLDP     0x88cc
#define ETHERTYPE_PBB      0x88e7   /* 802.1ah backbone service instance tag */
#define ETHERTYPE_VNTAG    0x8926   /* Cisco VN-Tag */
#define ETHERTYPE_ETAG     0x893f   /* 802.1BR E-tag */
#define ETHERTYPE_LOOPBACK 0x9000   /* Ethernet configuration testing protocol */
#define ETHERTYPE_QINQ_OLD 0x9100   /* pre-standard QinQ */

#endif
