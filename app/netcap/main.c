/* netcap: the capture appliance. Reads packets through DPDK (pcap replay,
 * af_packet, or NICs) and writes one <Type>.ncap.gz file per record type.
 * Everything happens in lib/pipeline; this only parses the options. */
#include "pipeline/config.h"
#include "pipeline/engine.h"

int main(int argc, char **argv)
{
	struct netcap_config cfg;
	int rc = config_parse(&cfg, argc, argv);
	if (rc == 0)
		rc = engine_run(&cfg, argv[0]);
	else
		rc = rc > 0 ? 0 : 2;
	config_free(&cfg);
	return rc;
}
