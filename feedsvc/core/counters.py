"""The Prometheus counters every layer adds to (web/metrics.py shows them). With several
workers, prometheus-client's multiprocess mode adds up what every worker counted."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter("feedsvc_http_requests", "Feed requests answered", ["feed", "status"])
SENT = Counter("feedsvc_http_sent_bytes", "Body bytes sent", ["feed"])
LIMITED = Counter("feedsvc_http_rate_limited", "Full fetches refused with 429", ["feed"])
BUILDS = Counter("feedsvc_builds", "Builds run", ["outcome"])
BUILD_SECONDS = Histogram(
    "feedsvc_build_duration_seconds",
    "Time a build took",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
PUBLISH_FAILURES = Counter("feedsvc_publish_failures", "Failed uploads to a target", ["target"])
HUB_FAILURES = Counter(
    "feedsvc_hub_delivery_failures", "Failed WebSub deliveries and hub pings", ["kind"]
)
