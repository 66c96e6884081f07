"""netcap_records.py: a run's records of one type as dicts, for the
application-layer comparisons (app_ndpi_compare.py, app_tshark_compare.py,
app_suricata_compare.py): from <Type>.json when the test wrote one, else
through `netcap-dump --json` (NETCAP_BUILD/netcap-dump)."""
import json
import os
import subprocess

DUMP = os.path.join(os.environ.get("NETCAP_BUILD", "build"), "netcap-dump")


def records(netcap_dir, typ):
    """The records of type typ in netcap_dir: a list of dicts ([] when the
    type wrote no file)."""
    js = os.path.join(netcap_dir, typ + ".json")
    if os.path.exists(js):
        with open(js, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    path = os.path.join(netcap_dir, typ + ".ncap.gz")
    if not os.path.exists(path):
        return []
    out = subprocess.run([DUMP, "--json", path], check=True, capture_output=True, text=True,
                         errors="surrogateescape").stdout
    return [json.loads(line) for line in out.splitlines() if line]
