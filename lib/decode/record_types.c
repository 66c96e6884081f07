/* record_types.c: which record types the decoders produce, i.e. the types
 * NETCAP writes when no --include narrows them. A type is listed here when
 * its decoder exists, so an unknown --include name can be told apart from a
 * schema type that no decoder fills yet. */
#include "decode/decode.h"

const int decode_record_types[] = {
	TYPES__TYPE__NC_Ethernet,
	TYPES__TYPE__NC_Dot1Q,
	TYPES__TYPE__NC_IPv4,
	TYPES__TYPE__NC_IPv6,
	TYPES__TYPE__NC_TCP,
	TYPES__TYPE__NC_UDP,
	TYPES__TYPE__NC_ARP,
	TYPES__TYPE__NC_LLC,
	TYPES__TYPE__NC_SNAP,
	TYPES__TYPE__NC_EthernetCTP,
	TYPES__TYPE__NC_EthernetCTPReply,
	TYPES__TYPE__NC_LinkLayerDiscovery,
	TYPES__TYPE__NC_LinkLayerDiscoveryInfo,
	TYPES__TYPE__NC_ICMPv4,
	TYPES__TYPE__NC_ICMPv6,
	TYPES__TYPE__NC_ICMPv6Echo,
	TYPES__TYPE__NC_ICMPv6NeighborSolicitation,
	TYPES__TYPE__NC_ICMPv6NeighborAdvertisement,
	TYPES__TYPE__NC_ICMPv6RouterSolicitation,
	TYPES__TYPE__NC_ICMPv6RouterAdvertisement,
	TYPES__TYPE__NC_IGMP,
	TYPES__TYPE__NC_SCTP,
	TYPES__TYPE__NC_GRE,
	TYPES__TYPE__NC_VXLAN,
	TYPES__TYPE__NC_Geneve,
	TYPES__TYPE__NC_IPv6HopByHop,
	TYPES__TYPE__NC_IPv6Fragment,
	TYPES__TYPE__NC_IPSecAH,
	TYPES__TYPE__NC_IPSecESP,
	TYPES__TYPE__NC_Dot11,
	TYPES__TYPE__NC_DNS,
	TYPES__TYPE__NC_DHCPv4,
	TYPES__TYPE__NC_DHCPv6,
	TYPES__TYPE__NC_NTP,
	TYPES__TYPE__NC_SIP,
	TYPES__TYPE__NC_MPLS,
	/* from reassembled TCP streams (lib/stream/app.c) */
	TYPES__TYPE__NC_HTTP,
	TYPES__TYPE__NC_TLSClientHello,
	TYPES__TYPE__NC_TLSServerHello,
	/* built by lib/flow from every decoded packet */
	TYPES__TYPE__NC_Connection,
	TYPES__TYPE__NC_Flow,
	TYPES__TYPE__NC_LinkFlow,
	TYPES__TYPE__NC_NetworkFlow,
	TYPES__TYPE__NC_TransportFlow,
};
const size_t decode_record_types_count = sizeof decode_record_types / sizeof *decode_record_types;
