"""Every operation in the OpenAPI document Roster publishes, driven by schemathesis with
generated requests (a fixed seed, so that a finding reproduces): each must answer as the
document says (statuses, content types, response schemas) and accept every request the
document calls valid. Requests it calls invalid may still be accepted: Roster reads empty
query values and an empty body as absent. Prints one `ok …` or `FAIL …` line. Env: BASE_URL, KEY,
WORK (a scratch folder: schemathesis keeps its cache in the folder it runs in).
"""

import os
import re
import subprocess
import sys

result = subprocess.run(
    [os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run",
     os.environ["BASE_URL"] + "/openapi.json",
     "-H", "Authorization: Bearer " + os.environ["KEY"],
     "--checks", "all", "--exclude-checks", "negative_data_rejection",
     "--max-examples", "30", "--seed", "20261130", "--no-color"],
    capture_output=True, text=True, timeout=280, cwd=os.environ["WORK"],
)
generated = re.search(r"(\d+) generated", result.stdout)
if result.returncode == 0:
    print(f"ok   openapi every operation answers as /openapi.json says ({generated.group(0) if generated else '?'})")
    sys.exit(0)
print(result.stdout[result.stdout.find("FAILURES"):][:6000] or result.stdout[-3000:] + result.stderr[-2000:])
print("FAIL openapi schemathesis found answers unlike what /openapi.json says")
sys.exit(1)
