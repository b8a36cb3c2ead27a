"""Run scim2-tester against one SCIM base URL and print what it found.

Usage: check.py BASE_URL TOKEN [TRAFFIC_LOG]
Exit status: 0 when no check ended in ERROR or CRITICAL, 1 otherwise.
"""

import json
import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from scim2_tester import utils

FAILING = {Status.ERROR, Status.CRITICAL}
NOTEWORTHY = FAILING | {Status.DEVIATION}


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    log_path = sys.argv[3] if len(sys.argv) > 3 else None
    traffic: list[dict] = []

    def record(response: httpx2.Response) -> None:
        response.read()
        request = response.request
        traffic.append({
            "request": f"{request.method} {request.url}",
            "request_body": request.content.decode(errors="replace") or None,
            "status": response.status_code,
            "response_body": response.text or None,
        })

    # Tag each result with the exchanges made since the previous result,
    # so that a failure can be shown next to the requests that caused it.
    mark = [0]
    original_init = utils.CheckResult.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.traffic = traffic[mark[0]:]
        mark[0] = len(traffic)

    utils.CheckResult.__init__ = init

    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        event_hooks={"response": [record]},
    )
    results = check_server(SyncSCIMClient(http))

    counts = Counter(r.status.name for r in results)
    print("scim2-tester:", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for r in results:
        if r.status in NOTEWORTHY:
            where = f"[{r.resource_type}] " if r.resource_type else ""
            print(f"{r.status.name}: {where}{r.title}: {r.reason}")

    if log_path:
        with open(log_path, "w") as f:
            for r in results:
                if r.status in NOTEWORTHY:
                    json.dump({
                        "status": r.status.name, "check": r.title,
                        "resource_type": r.resource_type, "reason": r.reason,
                        "data": repr(r.data), "traffic": getattr(r, "traffic", [])[-6:],
                    }, f, indent=1)
                    f.write("\n")
            json.dump({"all_traffic": traffic}, f, indent=1)

    failed = sum(counts[s.name] for s in FAILING)
    skipped = counts[Status.SKIPPED.name]
    passed = len(results) - failed - skipped
    print(f"conformance: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
