"""Reading a live server's /metrics with prometheus_client's own parser."""

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TOKEN = "scrape-secret-0123456789"


def scrape(base: str, token: str | None = SCRAPE_TOKEN) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{base}/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            assert response.headers["Content-Type"].startswith("text/plain; version=")
    except urllib.error.HTTPError as error:
        return error.code, {}
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return 200, samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
