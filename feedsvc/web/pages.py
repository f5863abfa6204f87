"""The index page: every feed, with autodiscovery links for readers and browsers."""

from html import escape

from feedsvc.config import Settings

_FORMATS = (("rss", "RSS 2.0", "application/rss+xml"), ("atom", "Atom 1.0", "application/atom+xml"))

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}li{margin:.6rem 0}a{color:#0645ad}.desc{color:#555;font-size:.9rem}
"""


def index_html(settings: Settings) -> str:
    site = settings.site
    discovery = []
    entries = []
    for feed in settings.feeds:
        title = feed.title or site.title
        links = []
        for fmt, label, mime in _FORMATS:
            url = f"{site.base_url}feeds/{feed.name}.{fmt}"
            discovery.append(
                f'<link rel="alternate" type="{mime}" title="{escape(title)} ({label})" '
                f'href="{escape(url)}">'
            )
            links.append(f'<a href="{escape(url)}">{label}</a>')
        description = escape(feed.description or site.description)
        entries.append(
            f"<li><strong>{escape(title)}</strong> · {' · '.join(links)}"
            f'<br><span class="desc">{description}</span></li>'
        )
    head = "\n".join(discovery)
    return f"""<!doctype html>
<html lang="{escape(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(site.title)}: feeds</title>
{head}
<style>{_STYLE}</style>
</head>
<body>
<h1>{escape(site.title)}: feeds</h1>
<p>Subscribe in any feed reader: copy a feed's address, or give the reader
<a href="{escape(site.url)}">{escape(site.url)}</a>.</p>
<ul>
{chr(10).join(entries)}
</ul>
</body>
</html>
"""
