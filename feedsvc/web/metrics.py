"""/metrics: the counters (feedsvc/core/counters.py), the gauges read when asked, and the
fast lane's tally. With several workers, prometheus-client's multiprocess mode adds up
what every worker counted (PROMETHEUS_MULTIPROC_DIR, set by `feedsvc run`)."""

import os
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from feedsvc.core.counters import LIMITED, REQUESTS, SENT
from feedsvc.state.audience import FRESH, Audience

CONTENT_TYPE = CONTENT_TYPE_LATEST


class RequestTally:
    """Counted per request in plain dictionaries (the fast lane can't afford a metric
    call each), added to the Prometheus counters by `flush` every second."""

    def __init__(self) -> None:
        self.requests: Tally[tuple[str, int]] = Tally()
        self.sent: Tally[str] = Tally()

    def add(self, feed: str, status: int, sent: int) -> None:
        self.requests[feed, status] += 1
        if sent:
            self.sent[feed] += sent

    def flush(self) -> None:
        requests, sent = self.requests, self.sent
        self.requests, self.sent = Tally(), Tally()
        for (feed, status), count in requests.items():
            REQUESTS.labels(feed, str(status)).inc(count)
            if status == 429:
                LIMITED.labels(feed).inc(count)
        for feed, count in sent.items():
            SENT.labels(feed).inc(count)


class Shown:
    """What /metrics shows: the counters, and gauges worked out when scraped (the 304 share
    from those same counters, and values read from the state)."""

    def __init__(self, source: CollectorRegistry, gauges: Callable[[], Iterable[Metric]]) -> None:
        self.source = source
        self.gauges = gauges

    def collect(self) -> Iterable[Metric]:
        answered = not_modified = 0.0
        for family in self.source.collect():
            yield family
            if family.name == "feedsvc_http_requests":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        answered += sample.value
                        not_modified += sample.value if sample.labels["status"] == "304" else 0
        share = GaugeMetricFamily(
            "feedsvc_http_not_modified_share", "Share of feed requests answered 304"
        )
        share.add_metric([], not_modified / answered if answered else 0.0)
        yield share
        yield from self.gauges()


def gauges(
    subscribers: int, targets: dict[str, dict], owing: dict[str, dict], ready_bytes: int
) -> list[Metric]:
    """Values read from the state and this process when scraped."""
    count = GaugeMetricFamily("feedsvc_websub_subscribers", "Active WebSub subscriptions")
    count.add_metric([], subscribers)
    up = GaugeMetricFamily(
        "feedsvc_publish_target_up", "1 when the last upload to a target worked", labels=["target"]
    )
    for name, status in targets.items():
        up.add_metric([name], 1 if status["ok"] else 0)
    owed = GaugeMetricFamily(
        "feedsvc_hub_pings_owed", "Topics a configured hub has not taken a ping for", labels=["hub"]
    )
    for hub, owes in owing.items():
        owed.add_metric([hub], owes["topics"])
    held = GaugeMetricFamily(
        "feedsvc_ready_bytes", "Bytes of ready feed bodies held by the worker answering"
    )
    held.add_metric([], ready_bytes)
    return [count, up, owed, held]


def readers(audience: Audience, now: datetime) -> list[Metric]:
    """Subscribers aggregators reported lately, and today's distinct direct clients."""
    subscribers = GaugeMetricFamily(
        "feedsvc_subscribers",
        "Subscribers an aggregator last reported for a feed (within a week)",
        labels=["feed", "aggregator"],
    )
    for found in audience.readers(now - FRESH):
        subscribers.add_metric([found.feed, found.aggregator], found.subscribers)
    direct = GaugeMetricFamily(
        "feedsvc_direct_clients",
        "Distinct clients (address and User-Agent) that polled a feed today (UTC) and "
        "stated no subscriber count",
        labels=["feed"],
    )
    for (feed, _day), clients in audience.direct(now.date()).items():
        direct.add_metric([feed], clients)
    return [subscribers, direct]


def exposition(gauges: Callable[[], Iterable[Metric]]) -> bytes:
    """The /metrics body: this process's counters, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        source = CollectorRegistry()
        MultiProcessCollector(source)
    else:
        source = REGISTRY
    shown = CollectorRegistry()
    shown.register(Shown(source, gauges))
    return generate_latest(shown)
