"""Measure the time from the first breaching event to the notification arriving (not a test).

Starts ``monitorx serve`` (SQLite, default evaluation interval of 15 s) and a local webhook receiver,
creates a rule ``error_rate > 0.5 over 60 s`` with ``for: 0`` on every model and two webhook channels
(``group_wait`` 0 and the default 30 s), then, for each trial, sends one batch of failing events for a
new model at a random phase of the evaluation cycle and waits for both notifications.

    .venv/bin/python tests/alerting/latency_probe.py [trials]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import LiveServer


def main(trials: int) -> None:
    arrivals: dict[tuple[str, str], float] = {}
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            now = time.time()
            with lock:
                for a in body["alerts"]:
                    arrivals.setdefault((self.path, a["labels"].get("model", "")), now)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}"
    server = LiveServer(Path(tempfile.mkdtemp()) / "probe", env={"MONITORX_ALERT_ALLOW_HOSTS": "127.0.0.1"})
    server.start()
    h = server.headers()
    try:
        rule = {
            "name": "errors",
            "condition": {"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.5, "window_s": 60},
        }
        assert httpx.post(server.url + "/api/v1/alert-rules", headers=h, json=rule).status_code == 201
        for path, wait in (("/wait0", 0), ("/wait30", 30)):
            ch = {
                "name": path,
                "config": {"kind": "webhook", "url": hook + path},
                "group_wait_s": wait,
                "matchers": [{"name": "alertname", "value": "errors"}],
            }
            assert httpx.post(server.url + "/api/v1/channels", headers=h, json=ch).status_code == 201
        sent: dict[str, float] = {}
        for i in range(trials):
            time.sleep(random.uniform(2, 17))  # a random phase of the 15 s cycle
            model = f"probe-{i}"
            events = [{"model": model, "latency_ms": 3.0, "error": True} for _ in range(10)]
            body = json.dumps({"batch_id": uuid.uuid4().hex, "events": events})
            sent[model] = time.time()
            assert httpx.post(server.url + "/api/v1/events", headers=h, content=body).status_code == 200
        deadline = time.time() + 120
        while time.time() < deadline and len(arrivals) < 2 * trials:
            time.sleep(0.2)
    finally:
        server.stop()
        receiver.shutdown()
    for path in ("/wait0", "/wait30"):
        lat = [arrivals[(path, m)] - t0 for m, t0 in sent.items() if (path, m) in arrivals]
        print(
            f"group_wait={path[5:]:>2}s, for=0, interval=15s: n={len(lat)} "
            f"min={min(lat):.1f}s median={statistics.median(lat):.1f}s mean={statistics.mean(lat):.1f}s "
            f"max={max(lat):.1f}s"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
