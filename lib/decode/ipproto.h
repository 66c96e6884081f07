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
#define IPPROTO_EXPERIMENT1 253   /* RFC 3692 */
#define IPPROTO_EXPERIMENT2 254

#endif
