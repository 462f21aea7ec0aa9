"""Reading one sample from a running relay's /metrics, as a scraper parses it."""

from __future__ import annotations

import http.client

from prometheus_client.parser import text_string_to_metric_families


def sample(port: int, name: str, **labels: str) -> float:
    """The value of the sample `name` whose labels include `labels`; fails the test if none."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return found.value
    raise AssertionError(f"no {name} with {labels} in /metrics")
