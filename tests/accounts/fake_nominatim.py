"""A local HTTP server that answers `/reverse` the way Nominatim does (format=json)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TASHKENT = {
    "place_id": 81531218,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 34530476,
    "lat": "41.2994958",
    "lon": "69.2400734",
    "display_name": "Amir Temur Avenue, Chilonzor, Yunusabad District, Tashkent, Uzbekistan",
    "address": {
        "road": "Amir Temur Avenue",
        "neighbourhood": "Chilonzor",
        "city_district": "Yunusabad District",
        "city": "Tashkent",
        "ISO3166-2-lvl4": "UZ-TK",
        "postcode": "100000",
        "country": "Uzbekistan",
        "country_code": "uz",
    },
    "boundingbox": ["41.2990", "41.3000", "69.2390", "69.2410"],
}
UNABLE = {"error": "Unable to geocode"}


class FakeNominatim:
    """Records every request; `reply` (dict), `status` and `delay` set what it answers."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply: dict = TASHKENT
        self.status = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": url.path,
                            "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                            "headers": dict(self.headers),
                            "at": time.monotonic(),
                        }
                    )
                if fake.delay:
                    time.sleep(fake.delay)
                body = json.dumps(fake.reply).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> "FakeNominatim":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
