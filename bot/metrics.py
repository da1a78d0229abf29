"""Prometheus metrics of one bot (served at GET /metrics by bot/web/metrics.py).

Each CitizenBot owns a `Metrics` with its own CollectorRegistry (never the process-wide
default: tests run many bots in one process). Two kinds of figures:

* counters and histograms kept in memory by this process: incoming updates per channel and
  kind with their handling time (fed by the dispatcher's `on_handled`), messages dropped by
  flood control (`on_flood`), replies per channel and outcome (the reply sender's
  `on_outcome`), outbox sends per channel and result with their time on the wire (fed by the
  delivery engine's `on_delivery`);
* gauges of what the database holds, the figures of /stats (storage.repos.stats), read again
  on every scrape: `set_figures` right before `latest()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.core.messages import IncomingMessage
from bot.domain.body_figures import BodyFigures
from storage.models import ReportStatus
from storage.repos.stats import Figures

PREFIX = "citizenbot"
NO_DISTRICT = "none"


class Metrics:
    def __init__(self, *, retention_months: int) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[Any, tuple[str, ...]], Any] = {}
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Incoming updates handled, by channel and kind.",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            f"{PREFIX}_update_seconds",
            "Time to handle an incoming update: lock, photo, transaction, replies.",
            ["channel"],
            registry=self.registry,
        )
        self.flood_dropped = Counter(
            f"{PREFIX}_flood_dropped",
            "Messages flood control dropped (each update once, however often redelivered).",
            ["channel"],
            registry=self.registry,
        )
        self.replies = Counter(
            f"{PREFIX}_replies",
            "Replies to citizens by channel and outcome: sent, retried (after a 429), "
            "blocked, failed (not delivered).",
            ["channel", "result"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            f"{PREFIX}_deliveries",
            "Outbox sends by channel and result: sent, failed, blocked, retry; combined: "
            "rows carried by a combined message to a team chat (that message counted as sent).",
            ["channel", "result"],
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            f"{PREFIX}_delivery_seconds",
            "Time of one outbox send on the channel's API.",
            ["channel"],
            registry=self.registry,
        )
        self.stored = StoredFigures(retention_months=retention_months)
        self.registry.register(self.stored)

    def observe_update(self, msg: IncomingMessage, seconds: float) -> None:
        channel = msg.address.channel
        self._labelled(self.updates, channel, msg.kind.value).inc()
        self._labelled(self.update_seconds, channel).observe(seconds)

    def observe_flood(self, msg: IncomingMessage) -> None:
        self._labelled(self.flood_dropped, msg.address.channel).inc()

    def observe_reply(self, channel: str, result: str) -> None:
        self._labelled(self.replies, channel, result).inc()

    def observe_delivery(self, channel: str, result: str, seconds: float | None) -> None:
        self._labelled(self.deliveries, channel, result).inc()
        if seconds is not None:
            self._labelled(self.delivery_seconds, channel).observe(seconds)

    def _labelled(self, metric: Any, *values: str) -> Any:
        """The metric's child for these label values (in the order the metric names them),
        found once: `labels()` checks and joins them on every call, on every message's path.
        The values come from small fixed sets (channels, kinds, results)."""
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def set_figures(self, figures: Figures | None, bodies: list[BodyFigures] | None = None) -> None:
        """What the database holds now; None: the database did not answer. `bodies`: each
        body's figures (bot/domain/body_figures.py)."""
        self.stored.figures = figures
        self.stored.bodies = bodies or []

    def latest(self, accept: str | None = None) -> tuple[bytes, str]:
        """(body, content type): the Prometheus text format, or OpenMetrics if `accept` (the
        scraper's Accept header) asks for it."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


class StoredFigures(Collector):
    """The last figures read from the database, as gauges."""

    def __init__(self, *, retention_months: int) -> None:
        self.retention_months = retention_months
        self.figures: Figures | None = None
        self.bodies: list[BodyFigures] = []

    def collect(self) -> Iterator[Metric]:
        yield _single(
            "retention_months",
            "RETENTION_MONTHS: how long personal data is kept.",
            self.retention_months,
        )
        figures = self.figures
        yield _single(
            "database_up", "1 if the database answered this scrape.", int(figures is not None)
        )
        if figures is not None:
            yield from _figures(figures)
            yield from _bodies(self.bodies)


def _single(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, value=value)


def _labelled(
    name: str, doc: str, label: str, values: Mapping[Any, int], keys: Iterable[Any] | None = None
) -> GaugeMetricFamily:
    """One sample per key (`keys`: these, in this order, 0 when absent; else every key)."""
    family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=[label])
    if keys is None:
        keys = sorted(values, key=lambda k: (k is None, str(k)))
    for key in keys:
        family.add_metric([NO_DISTRICT if key is None else str(key)], values.get(key, 0))
    return family


def _feeds(f: Figures) -> Iterator[Metric]:
    """Each feed of the city pack: when it last worked and failed, and what it holds."""
    success = GaugeMetricFamily(
        f"{PREFIX}_feed_last_success_timestamp_seconds",
        "When the feed was last read successfully (0: never).",
        labels=["feed"],
    )
    error = GaugeMetricFamily(
        f"{PREFIX}_feed_last_error_timestamp_seconds",
        "When reading the feed last failed (0: never).",
        labels=["feed"],
    )
    failures = GaugeMetricFamily(
        f"{PREFIX}_feed_failures", "Failed polls in a row (0: the feed works).", labels=["feed"]
    )
    items = GaugeMetricFamily(
        f"{PREFIX}_feed_items", "The feed's open alerts after its last poll.", labels=["feed"]
    )
    for feed, (last_success, last_error, failed, held) in sorted(f.feeds.items()):
        success.add_metric([feed], last_success.timestamp() if last_success else 0)
        error.add_metric([feed], last_error.timestamp() if last_error else 0)
        failures.add_metric([feed], failed)
        items.add_metric([feed], held)
    yield from (success, error, failures, items)


def _figures(f: Figures) -> Iterator[Metric]:
    yield from _feeds(f)
    yield _single("citizens", "Citizens.", f.citizens)
    yield _labelled(
        "citizens_by_channel", "Citizens' accounts per channel.", "channel", f.by_channel
    )
    yield _labelled("citizens_by_language", "Citizens per language.", "language", f.by_language)
    yield _labelled(
        "citizens_active", "Citizens seen in the last N days.", "days", f.active, sorted(f.active)
    )
    statuses = [s.value for s in ReportStatus]
    yield _labelled("reports", "Reports per status.", "status", f.reports_by_status, statuses)
    yield _labelled(
        "reports_by_category", "Reports per category code.", "category", f.reports_by_category
    )
    yield _labelled(
        "reports_by_district",
        f"Reports per district code ({NO_DISTRICT}: not given).",
        "district",
        f.reports_by_district,
    )
    resolution = f.resolution
    yield _single("reports_resolved", "Reports resolved at least once.", resolution.reports)
    if resolution.median is not None:
        yield _single(
            "report_resolution_median_seconds",
            "Median time from filing to the first resolved status.",
            resolution.median.total_seconds(),
        )
    yield _labelled("alert_subscriptions", "Alert subscribers per topic.", "topic", f.subscriptions)
    outbox = GaugeMetricFamily(
        f"{PREFIX}_outbox_messages",
        "Outbox rows per channel and status.",
        labels=["channel", "status"],
    )
    for (channel, status), n in sorted(f.outbox.items()):
        outbox.add_metric([channel, status], n)
    yield outbox
    forwards = GaugeMetricFamily(
        f"{PREFIX}_forwards",
        "Reports (and their reopenings) forwarded to bodies by email or Open311, per body "
        "and state (pending, sent, failed; unsupported: a reopening Open311 cannot carry).",
        labels=["body", "state"],
    )
    for (body, state), n in sorted(f.forwards.items()):
        forwards.add_metric([body, state], n)
    yield forwards
    yield _single("survey_responses", "Survey responses.", f.survey_responses)
    yield _single("survey_responses_completed", "Completed survey responses.", f.survey_completed)


def _bodies(found: list[BodyFigures]) -> Iterator[Metric]:
    """Each body's figures (bot/domain/body_figures.py), labelled by body code."""

    def family(name: str, doc: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{PREFIX}_body_{name}", doc, labels=["body"])

    open_ = family("reports_open", "Open reports per body.")
    overdue = family("reports_overdue", "Open reports past their resolve deadline per body.")
    on_time = family("reports_on_time", "Reports resolved by their deadline per body.")
    late = family(
        "reports_late", "Reports resolved after their deadline or open past it, per body."
    )
    on_time_ratio = family(
        "on_time_ratio", "On time ÷ (on time + late) per body; absent with nothing due."
    )
    acknowledge = family(
        "acknowledge_median_seconds", "Median time from filing to acknowledgement per body."
    )
    resolve = family("resolve_median_seconds", "Median time from filing to resolution per body.")
    fixed = family("confirmed_fixed", "Answers 'fixed' to 'Is it fixed?' per body.")
    not_fixed = family("not_fixed", "Answers 'not fixed' to 'Is it fixed?' per body.")
    for f in found:
        label = [f.code]
        open_.add_metric(label, f.open)
        overdue.add_metric(label, f.overdue)
        on_time.add_metric(label, f.resolved_on_time)
        late.add_metric(label, f.late)
        if f.on_time_share is not None:
            on_time_ratio.add_metric(label, f.on_time_share)
        if f.acknowledge_median is not None:
            acknowledge.add_metric(label, f.acknowledge_median.total_seconds())
        if f.resolve_median is not None:
            resolve.add_metric(label, f.resolve_median.total_seconds())
        fixed.add_metric(label, f.confirmed_fixed)
        not_fixed.add_metric(label, f.not_fixed)
    yield from (open_, overdue, on_time, late, on_time_ratio, acknowledge, resolve, fixed)
    yield not_fixed
