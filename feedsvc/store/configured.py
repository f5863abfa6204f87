"""The configured stores, opened."""

from zoneinfo import ZoneInfo

from feedsvc.core.config import Settings
from feedsvc.store import Store
from feedsvc.store.files import FilesStore
from feedsvc.store.record import SiteContext


def site_context(settings: Settings) -> SiteContext:
    site = settings.site
    return SiteContext(site.article_url, ZoneInfo(site.timezone), site.summary_length)


def open_stores(settings: Settings) -> list[Store]:
    context = site_context(settings)
    stores: list[Store] = []
    for conf in settings.store:
        if conf.kind == "files":
            stores.append(
                FilesStore(
                    conf.label,
                    conf.path,
                    context,
                    max_file_size=conf.max_file_size,
                    folder_formats=conf.formats,
                    languages={"": conf.language, **conf.languages}
                    if conf.language
                    else conf.languages,
                    watch=conf.watch,
                )
            )
        elif conf.kind == "sql":
            from feedsvc.store.sql import SqlStore  # each kind's imports only when used

            stores.append(
                SqlStore(
                    conf.label,
                    conf.url,
                    context,
                    table=conf.table,
                    query=conf.query,
                    columns=conf.columns,
                )
            )
        elif conf.kind == "feed":
            from feedsvc.store.feed import FeedStore

            stores.append(
                FeedStore(
                    conf.label,
                    conf.url,
                    context,
                    timeout=conf.timeout,
                    max_failures=conf.max_failures,
                )
            )
    return stores
