"""`feedsvc audience` and the readers line of `feedsvc stats`: who reads the feeds, as
aggregators report it and as distinct direct clients a day."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from feedsvc.state.audience import FRESH
from feedsvc.state.database import State


def summary(state: State, now: datetime) -> str:
    """One line: the aggregators' latest counts this week, and direct clients today and
    yesterday."""
    by_aggregator: Counter[str] = Counter()
    for found in state.audience.readers(now - FRESH):
        by_aggregator[found.aggregator] += found.subscribers
    reported = f"{by_aggregator.total():,} subscribers reported by aggregators"
    if by_aggregator:
        named = ", ".join(f"{name} {count:,}" for name, count in by_aggregator.most_common(5))
        reported += f" ({named})"
    today = now.date()
    yesterday = today - timedelta(days=1)
    direct = state.audience.site_direct(yesterday, today)
    return (
        f"readers: {reported}; direct clients of the site (each counted once, whatever it"
        f" polls) {direct.get(today, 0):,} today (UTC), {direct.get(yesterday, 0):,} yesterday"
    )


def table(state: State, since: date, now: datetime) -> list[str]:
    """Each feed's subscribers by aggregator (latest reports since `since`), then its
    distinct direct clients on each day since then."""
    reports = state.audience.readers(datetime.combine(since, time(), UTC))
    lines = [f"Subscribers aggregators reported (the latest of each, since {since}):"]
    if reports:
        width = max(len(found.feed) for found in reports)
        lines.append(f"  {'feed':<{width}}  {'aggregator':<20} {'subscribers':>11}  last reported")
        for found in reports:
            seen = found.seen.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            lines.append(
                f"  {found.feed:<{width}}  {found.aggregator:<20} {found.subscribers:>11,}  {seen}"
            )
        lines.append(f"  {'total':<{width}}  {'':<20} {sum(f.subscribers for f in reports):>11,}")
    else:
        lines.append("  none yet")
    days = state.audience.direct(since, now.date())
    lines.append("Direct clients a day (distinct address and User-Agent, UTC days):")
    if days:
        site = {("the site, each once", day): n for day, n in state.audience.site_direct(
            since, now.date()).items()}  # fmt: skip
        width = max(len(feed) for feed, _day in (*days, *site))
        lines.append(f"  {'feed':<{width}}  {'day':<10} {'clients':>8}")
        for (feed, day), clients in (*days.items(), *sorted(site.items())):
            lines.append(f"  {feed:<{width}}  {day.isoformat():<10} {clients:>8,}")
    else:
        lines.append("  none yet")
    return lines
