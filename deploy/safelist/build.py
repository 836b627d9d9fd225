#!/usr/bin/env python3
"""Writes deploy/safelist.json from the .graphql files beside this script."""
import hashlib, json, pathlib, re

here = pathlib.Path(__file__).parent
ops = []
for f in sorted(here.glob("*.graphql")):
    body = f.read_text().strip()
    kind = re.match(r"\s*(query|mutation|subscription)", body).group(1)
    ops.append({"id": hashlib.sha256(body.encode()).hexdigest(), "name": f.stem, "type": kind, "body": body})
out = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops}
(here.parent / "safelist.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
print(f"{len(ops)} operations")
