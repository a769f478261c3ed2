"""The physical floor: the fewest requests a run can make, through the same SDK client, doing no more than
parsing the JSON: `python bench/floor.py SPEC.json` (CLOUDFLARE_API_TOKEN / CLOUDFLARE_BASE_URL from the
environment, as for zonesync).

SPEC: `{"zones": [...], "lookup": "filtered" | "pages", "pages": N, "apply": {zone: [record, ...]},
"batch_limit": N}`. The bench chooses the lookup knowing the account (a clairvoyant client): one filtered
`GET /zones?name=` per zone, or the account's N pages of 50. Then one listing per zone at Cloudflare's
largest page, 8 zones at a time (like zonesync). With `apply`, the desired records of each zone (API form,
one record per name and type, as the bench's zones have) are compared with the listing by (name, type) and
sent as ceil(changes / batch_limit) batches: deletes, puts, posts. No validation, no output, no safety: a
floor, not a tool. It ends as zonesync does (output flushed, then os._exit), so the exit costs both the same.
"""

import gc
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import cloudflare
import httpx

client = cloudflare.Cloudflare(max_retries=0)


def get(path, params):
    return client.get(path, options={"params": params}, cast_to=httpx.Response).json()


def pool_map(func, items):
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(func, items))


def lookup(spec):
    if spec["lookup"] == "filtered":
        bodies = pool_map(lambda name: get("/zones", {"name": name, "per_page": 50}), spec["zones"])
    else:
        bodies = pool_map(lambda p: get("/zones", {"per_page": 50, "page": p}), range(1, spec["pages"] + 1))
    return {z["name"]: z["id"] for body in bodies for z in body["result"]}


def changes(live, desired):
    have = {(r["name"], r["type"]): r for r in live}
    want = {(r["name"], r["type"]): r for r in desired}
    deletes = [{"id": r["id"]} for key, r in have.items() if key not in want]
    puts, posts = [], []
    for key, r in want.items():
        old = have.get(key)
        if old is None:
            posts.append(r)
        elif (old["content"], old.get("priority"), old["ttl"]) != (r["content"], r.get("priority"), r["ttl"]):
            puts.append({"id": old["id"], **r})
    return [("deletes", d) for d in deletes] + [("puts", p) for p in puts] + [("posts", p) for p in posts]


def sync(spec, ids, zone):
    body = get(f"/zones/{ids[zone]}/dns_records", {"per_page": 5_000_000})
    desired = (spec.get("apply") or {}).get(zone)
    if desired is None:
        return len(body["result"])
    ops = changes(body["result"], desired)
    limit = spec["batch_limit"]
    for start in range(0, len(ops), limit):
        batch = {}
        for kind, op in ops[start : start + limit]:
            batch.setdefault(kind, []).append(op)
        client.post(f"/zones/{ids[zone]}/dns_records/batch", body=batch, cast_to=httpx.Response)
    return len(ops)


def main():
    gc.set_threshold(100_000, 50, 1000)  # the floor's own: few cycles, many long-lived objects
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    ids = lookup(spec)
    counts = pool_map(lambda zone: sync(spec, ids, zone), spec["zones"])
    print(json.dumps({"zones": len(counts), "items": sum(counts)}), flush=True)
    os._exit(0)  # the floor's own: no interpreter teardown of the SDK's modules and the listings


if __name__ == "__main__":
    main()
