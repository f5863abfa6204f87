"""What podcast directories ask of a feed: Apple's categories, episode and transcript
vocabularies, and the podcast: namespace's derived GUID. Shared by the config, the
records, the renderer and the strict check."""

import uuid
from dataclasses import dataclass

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# The podcast namespace's first URI: its spec takes it as well as the later
# https://podcastindex.org/namespace/1.0, and gPodder's parser knows only this one.
PODCAST_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
# The podcast namespace's own: a feed's GUID is UUIDv5 of its URL in it.
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# Apple Podcasts' categories and subcategories (the 2019 list, still current).
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": (
        "Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
        "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
        "Sports News", "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
        "Natural Sciences", "Nature", "Physics", "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
    ),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey",
        "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip
SHOW_TYPES = ("episodic", "serial")
EPISODE_TYPES = ("full", "trailer", "bonus")
# Image sizes Apple takes: square, 1400 to 3000 pixels a side.
IMAGE_MIN, IMAGE_MAX = 1400, 3000
# Enclosure types Apple Podcasts plays: audio, and the rest.
# The enclosure types Apple Podcasts lists (MP3, M4A, MOV, MP4, M4V, PDF), and other
# spellings of them, which an enclosure is written with Apple's instead. AAC outside
# an M4A file (audio/aac) is not listed: such an article stays out of a podcast feed.
APPLE_ENCLOSURE_TYPES = frozenset({
    "audio/mpeg", "audio/x-m4a", "video/mp4", "video/quicktime", "video/x-m4v",
    "application/pdf",
})  # fmt: skip
APPLE_SPELLING = {"audio/mp4": "audio/x-m4a", "audio/m4a": "audio/x-m4a"}
APPLE_AUDIO_TYPES = frozenset({"audio/mpeg", "audio/x-m4a", *APPLE_SPELLING})
# The "medium" label of an article with audio that podcast apps play: what a podcast
# feed selects (an article whose only audio is Ogg stays out, and the feed publishes).
EPISODE_MEDIUM = "episode"
# podcast:transcript's types, by file extension.
TRANSCRIPT_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "html": "text/html",
    "htm": "text/html",
    "txt": "text/plain",
}


def feed_guid(url: str) -> str:
    """The podcast:guid a feed at this URL has unless it states one: UUIDv5 of the URL
    without its scheme and trailing slashes, so that every app derives the same one."""
    bare = url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, bare))


def category_problem(category: str, subcategory: str) -> str | None:
    """Why Apple would refuse this category pair, or None."""
    if category not in APPLE_CATEGORIES:
        return f"{category!r} is not one of Apple's categories ({', '.join(APPLE_CATEGORIES)})"
    subs = APPLE_CATEGORIES[category]
    if subcategory and subcategory not in subs:
        allowed = ", ".join(subs) if subs else "none"
        return f"{subcategory!r} is not a subcategory of {category!r} (those are: {allowed})"
    return None


@dataclass(frozen=True)
class Show:
    """A podcast feed's own details: what [feeds.podcast] says."""

    image: str  # square, IMAGE_MIN to IMAGE_MAX pixels a side
    category: str
    subcategory: str = ""
    explicit: bool = False
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    type: str = "episodic"
    block: bool = False
    complete: bool = False  # no more episodes will come
    locked: bool = False  # other hosts may not import it (podcast:locked)
    guid: str = ""  # empty: derived from the feed's URL


@dataclass(frozen=True)
class Episode:
    """An article's own podcast details (itunes: and podcast: item elements)."""

    number: int | None = None
    season: int | None = None
    type: str = "full"
    explicit: bool | None = None  # None: the show's
    transcript: str = ""  # a URL
    transcript_type: str = ""
