#!/usr/bin/python3
"""Validate hactl --json output (stdin) against hactl/schema/NAME.schema.json.

    hactl_schema.py NAME          exit 0 if valid, else 1 with every error
    hactl_schema.py NAME --strict also checks the schema's strictness on this
                                  very document: renaming or removing any key
                                  of any object in it must make it invalid
"""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
name = sys.argv[1]
schema = json.load(open(os.path.join(here, "..", "..", "hactl", "schema", name + ".schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
document = json.load(sys.stdin)
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
for error in errors:
    print("%s: %s: %s" % (name, "/".join(str(p) for p in error.path) or "(top)", error.message), file=sys.stderr)
if errors:
    sys.exit(1)


def objects(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from objects(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from objects(value, path + (index,))


def at(doc, path):
    for step in path:
        doc = doc[step]
    return doc


if "--strict" in sys.argv[2:]:
    weak = []
    for path, node in list(objects(document)):
        for key in list(node):
            for mutation in ("renamed", "missing"):
                copy = json.loads(json.dumps(document))
                target = at(copy, path)
                value = target.pop(key)
                if mutation == "renamed":
                    target[key + "_x"] = value
                if validator.is_valid(copy):
                    weak.append("%s key %s %s" % ("/".join(map(str, path)) or "(top)", key, mutation))
    # Free-form maps (counts by reason, a daemon's configuration summary and
    # counters) may take any key; vrrp's "counters" is a fixed object.
    free = {"vrrp": ("drops", "unassigned_drops"), "status": ("config_summary", "counters")}.get(name, ())
    weak = [w for w in weak if not any(("/%s " % f) in "/" + w or w.startswith(f + " ") for f in free)]
    for w in weak:
        print("%s: schema still accepts the document with %s" % (name, w), file=sys.stderr)
    if weak:
        sys.exit(1)
