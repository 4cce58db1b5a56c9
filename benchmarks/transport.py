"""Per-call overhead of ``Transport.get`` against a plain ``requests.Session().get().json()``.

Both hit the same keep-alive loopback server (in a thread of this process), interleaved, and the
script prints the ratio of medians (target <= 1.0: the transport resolves proxy and CA settings
once per session; plain requests re-reads them from the environment on every call). Run twice:
with a clean environment, and with corporate-style proxy variables set (``NO_PROXY`` covering
the loopback address, so both still go direct)::

    python benchmarks/transport.py [--rounds 3000]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from synapse.config import Config
from synapse.transport import Transport

BODY = json.dumps({"id": 1, "title": "Street scenes", "description": "x" * 200}).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # headers and body in one segment (no Nagle / delayed-ACK stall)

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def _median_pair(a: Callable[[], Any], b: Callable[[], Any], rounds: int) -> tuple[float, float]:
    for f in (a, b):
        for _ in range(100):
            f()
    ta: list[float] = []
    tb: list[float] = []
    for i in range(rounds):
        order = ((a, ta), (b, tb)) if i % 2 else ((b, tb), (a, ta))
        for f, sink in order:
            start = time.perf_counter()
            f()
            sink.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    proxies = {
        "HTTP_PROXY": "http://proxy.example.com:3128",
        "HTTPS_PROXY": "http://proxy.example.com:3128",
        "NO_PROXY": "127.0.0.1,localhost,.internal.example.com",
    }
    for label, env in (("clean environment", {}), ("proxy variables set", proxies)):
        saved = {k: os.environ.get(k) for k in proxies}
        os.environ.update(env)
        try:
            plain = requests.Session()
            transport = Transport(Config.resolve(base_url=url, api_token="bench-token"))
            raw, ours = _median_pair(
                lambda: plain.get(url + "projects/1/").json(),  # noqa: B023 - used in this iteration
                lambda: transport.get("projects/1/"),  # noqa: B023
                args.rounds,
            )
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        print(
            f"{label:>20}: requests {raw * 1e6:7.0f} us  transport {ours * 1e6:7.0f} us  "
            f"ratio {ours / raw:.2f} (target <= 1.0)"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
