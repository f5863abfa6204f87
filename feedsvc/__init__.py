"""feedsvc: a feed publisher for news sites."""

__version__ = "0.1.0"
