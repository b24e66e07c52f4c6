#!/usr/bin/env python3
# Reads `hactl metrics` text on stdin with an independent parser (Debian's
# python3-prometheus-client) and prints what it understood as JSON:
#
#   metrics_parse.py openmetrics   the strict OpenMetrics 1.0 parser
#                                  (prometheus_client.openmetrics.parser)
#   metrics_parse.py prometheus    the Prometheus text format parser
#                                  (prometheus_client.parser)
#
#   {"types": {"FAMILY": "counter", ...},
#    "samples": {"NAME|LABEL=VALUE|LABEL=VALUE": VALUE, ...}}
#
# with the labels sorted by name and every value a float.
#
# Text the parser refuses: its message on stderr, exit 1. Used by
# tests/netns/t_hactl_metrics.sh and tests/uml/t_ipvsd_metrics.sh.
import json
import sys


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("openmetrics", "prometheus"):
        sys.exit("usage: metrics_parse.py openmetrics|prometheus < TEXT")
    if sys.argv[1] == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
    text = sys.stdin.read()
    types, samples = {}, {}
    try:
        for family in text_string_to_metric_families(text):
            if family.name in types:
                raise ValueError("family %s appears twice" % family.name)
            types[family.name] = family.type
            for sample in family.samples:
                key = "|".join([sample.name] + ["%s=%s" % kv for kv in sorted(sample.labels.items())])
                if key in samples:
                    raise ValueError("sample %s appears twice" % key)
                samples[key] = float(sample.value)
    except ValueError as error:
        sys.exit("metrics_parse.py %s: %s" % (sys.argv[1], error))
    json.dump({"types": types, "samples": samples}, sys.stdout, sort_keys=True)
    print()


main()
