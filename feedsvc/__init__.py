"""feedsvc: a feed publisher for news sites. What an embedder needs is named here
(feedsvc.api says how to use it); each is imported when first asked for, so that
`feedsvc --help` does not pay for the whole house."""

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Site": "feedsvc.api",
    "TakenDown": "feedsvc.api",
    "open_site": "feedsvc.api",
    "Settings": "feedsvc.core.config",
    "ConfigError": "feedsvc.core.config",
    "SourceArticle": "feedsvc.core.model",
    "Image": "feedsvc.core.model",
    "Problem": "feedsvc.core.model",
    "Store": "feedsvc.store",
    "Scan": "feedsvc.store",
    "SourceScan": "feedsvc.store",
    "Memory": "feedsvc.store",
    "BuildReport": "feedsvc.site.pipeline",
}
__all__ = [
    "BuildReport", "ConfigError", "Image", "Memory", "Problem", "Scan", "Settings", "Site",
    "SourceArticle", "SourceScan", "Store", "TakenDown", "__version__", "open_site",
]  # fmt: skip

if TYPE_CHECKING:
    from feedsvc.api import Site, TakenDown, open_site
    from feedsvc.core.config import ConfigError, Settings
    from feedsvc.core.model import Image, Problem, SourceArticle
    from feedsvc.site.pipeline import BuildReport
    from feedsvc.store import Memory, Scan, SourceScan, Store


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'feedsvc' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
