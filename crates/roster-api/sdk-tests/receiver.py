"""A webhook receiver for the SDK checks: stores every POST it gets, raw body and headers, as
one JSON file per delivery in the folder given, and answers 200. Standard library only.

    python3 receiver.py PORT FOLDER
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FOLDER = sys.argv[2]


class Record(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        delivery = {
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": body.decode("utf-8"),
        }
        name = os.path.join(FOLDER, f"{delivery['headers'].get('webhook-id', 'unknown')}-{os.urandom(4).hex()}.json")
        with open(name + ".tmp", "w") as out:
            json.dump(delivery, out)
        os.replace(name + ".tmp", name)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Record).serve_forever()
