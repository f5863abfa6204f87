"""The settings model, by section, and reading a config file: the one source of what
can be set (docs/configuration.md and `feedsvc init`'s file are made from it)."""

from feedsvc.core.config.api import ApiSettings
from feedsvc.core.config.feeds import (
    DEFAULT_FEEDS,
    EXCLUDABLE,
    FORMATS,
    LABEL_KINDS,
    FeedFormat,
    FeedSettings,
    LabelKind,
    PodcastSettings,
)
from feedsvc.core.config.publish import PublishSettings
from feedsvc.core.config.server import ScheduleSettings, ServerSettings
from feedsvc.core.config.settings import ConfigError, Settings, load
from feedsvc.core.config.site import SiteSettings
from feedsvc.core.config.store import LatestSettings, StateSettings, StoreSettings
from feedsvc.core.config.websub import WebSubSettings

__all__ = [
    "DEFAULT_FEEDS",
    "EXCLUDABLE",
    "FORMATS",
    "LABEL_KINDS",
    "ApiSettings",
    "ConfigError",
    "FeedFormat",
    "FeedSettings",
    "LabelKind",
    "LatestSettings",
    "PodcastSettings",
    "PublishSettings",
    "ScheduleSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "StateSettings",
    "StoreSettings",
    "WebSubSettings",
    "load",
]
