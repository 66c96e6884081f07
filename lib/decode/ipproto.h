/* ipproto.h: IP protocol numbers (IANA), named once. <netinet/in.h> has
 * the common ones (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, IPPROTO_SCTP,
 * IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_AH,
 * IPPROTO_NONE, IPPROTO_DSTOPTS, IPPROTO_MH, ...); the few it lacks are
 * added here, as tcpdump's ipproto.h does. */
#ifndef DECODE_IPPROTO_H
#define DECODE_IPPROTO_H

#include <netinet/in.h>

#ifndef IPPROTO_HIP
#define IPPROTO_HIP 139
#endif
#ifndef IPPROTO_SHIM6
#define IPPROTO_SHIM6 140
#endif
#ifndef IPPROTO_MPLS
#define IPPROTO_MPLS 137          /* MPLS in IP, RFC 4023 */
#endif
#define IPPROTO_EXPERIMENT1 253   /* RFC 3692 */
#define IPPROTO_EXPERIMENT2 254

/* UDP ports of the tunnels decode_app() dispatches (IANA). */
#define PORT_TEREDO 3544     /* RFC 4380 */
#define PORT_GTP_U  2152     /* 3GPP TS 29.281 */
#define PORT_VXLAN  4789     /* RFC 7348 */
#define PORT_GENEVE 6081     /* RFC 8926 */
#define PORT_MPLS_UDP 6635   /* RFC 7510 */
#define PORT_IPSEC_NAT_T 4500 /* RFC 3948: ESP in UDP, IKE after a non-ESP marker */

#endif
