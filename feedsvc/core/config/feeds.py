"""[[feeds]]: each a feed, or with `per` a family of feeds."""

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from feedsvc.core.config.base import Description, Section, Title, absolute_http_url, repeated
from feedsvc.core.podcast import IMAGE_MAX, IMAGE_MIN, Show, category_problem
from feedsvc.core.text import LANGUAGE_TAG

FEED_NAME = r"^[a-z0-9][a-z0-9_-]*$"
# "medium": the kinds of media an article carries (audio, video), for podcast feeds.
LabelKind = Literal["category", "tag", "author", "region", "language", "medium"]
LABEL_KINDS: tuple[LabelKind, ...] = ("category", "tag", "author", "region", "language")
# What a feed may leave out: sponsored content, wire copy.
EXCLUDABLE: tuple[LabelKind, ...] = ("category", "tag", "author", "region")
FeedFormat = Literal["rss", "atom", "json"]
FORMATS: tuple[FeedFormat, ...] = ("rss", "atom", "json")


def _as_str_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


Values = Annotated[list[str], BeforeValidator(_as_str_list)]
LanguageTags = Annotated[
    list[Annotated[str, Field(pattern=LANGUAGE_TAG, min_length=1)]],
    BeforeValidator(_as_str_list),
]


class PodcastSettings(Section):
    """[feeds.podcast]: what Apple Podcasts and Spotify ask of a show."""

    image: str
    """Square artwork, an absolute URL."""
    image_size: Annotated[int, Field(ge=IMAGE_MIN, le=IMAGE_MAX)]
    """Its pixels a side, as stated (1400 to 3000)."""
    category: str
    """One of Apple's categories (`News`)."""
    subcategory: str = ""
    """One of its subcategories (`Daily News`)."""
    explicit: bool = False
    """Whether the show is explicit."""
    author: Title = ""
    """The show's author (empty: the site's title)."""
    owner_name: Title = ""
    """Who owns the show."""
    owner_email: Annotated[str, Field(pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")] = ""
    """Their address: hosts ask it before a move."""
    type: Literal["episodic", "serial"] = "episodic"
    """`serial`: listened to in order."""
    block: bool = False
    """Kept out of directories."""
    complete: bool = False
    """No more episodes will come."""
    locked: bool = False
    """Other hosts may not import it (needs `owner_email`)."""
    guid: Annotated[str, Field(max_length=100)] = ""
    """The show's `podcast:guid` (empty: derived from the feed's URL)."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return absolute_http_url(value)

    @model_validator(mode="after")
    def _apple_category(self) -> "PodcastSettings":
        if problem := category_problem(self.category, self.subcategory):
            raise ValueError(problem)
        if self.locked and not self.owner_email:
            raise ValueError("locked needs owner_email: hosts ask it before a move")
        return self

    def show(self) -> Show:
        return Show(**self.model_dump(exclude={"image_size"}))


class FeedSettings(Section):
    name: Annotated[str, Field(pattern=FEED_NAME)]
    """The feed's file name, `/feeds/NAME.rss` (a family's: `/feeds/NAME/VALUE.rss`):
    lower-case letters, digits, `-`, `_`."""
    kind: Literal["news", "podcast"] = "news"
    """`podcast`: an RSS feed Apple Podcasts and Spotify take, of the articles with audio
    they play, with the show in a `[feeds.podcast]` table."""
    podcast: PodcastSettings | None = None
    """A podcast feed's show (see `feeds.podcast.*`)."""
    title: Title = ""
    """The feed's title (empty: the site's); `{site.title}` is the site's title, and in
    a family `{value}` is the category, tag, author or region."""
    description: Description = ""
    """The feed's description (empty: the site's), with the same placeholders."""
    select: Literal["all", "latest"] = "all"
    """`all`: the store's articles, newest first; `latest`: the latest-news list in its
    order."""
    category: Values = []
    """Only articles in this category: a name or a list of names, any of which will do
    (case, spacing and punctuation don't matter)."""
    tag: Values = []
    """Only articles with this tag (as `category`)."""
    author: Values = []
    """Only articles by this author (as `category`)."""
    region: Values = []
    """Only articles about this region (as `category`)."""
    language: LanguageTags = []
    """Only articles in these languages (one that states none is in the site's); one
    language is also the feed's own."""
    match: Literal["all", "any"] = "all"
    """With several filters: `all` of them must hold, or `any` one."""
    exclude_category: Values = []
    """Articles in any of these categories are left out, whatever the filters say
    (sponsored content, wire copy)."""
    exclude_tag: Values = []
    """Articles with any of these tags are left out."""
    exclude_author: Values = []
    """Articles by any of these authors are left out."""
    exclude_region: Values = []
    """Articles about any of these regions are left out."""
    per: Literal["", "category", "tag", "author", "region", "language"] = ""
    """Makes a family: one feed for every value the store has, at
    `/feeds/NAME/VALUE.rss` (Cyrillic kept); a language family's feeds link each other
    (hreflang)."""
    limit: Annotated[int, Field(gt=0, le=1000)] = 50
    """The most items."""
    content: Literal["full", "summary"] = "full"
    """`full`: the whole article; `summary`: its summary."""
    formats: Annotated[list[FeedFormat], Field(min_length=1)] = list(FORMATS)
    """Any of `rss`, `atom`, `json`."""
    image: str = ""
    """The feed's logo, an absolute URL (empty: the site's)."""
    archive: bool = True
    """RFC 5005 history pages of every article (feeds with `select = "all"`)."""
    archive_size: Annotated[int, Field(gt=0, le=1000)] = 100
    """Items a history page holds; a full page never changes."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return value and absolute_http_url(value)

    @field_validator("formats")
    @classmethod
    def _formats(cls, formats: list[FeedFormat]) -> list[FeedFormat]:
        if dupes := repeated(formats):
            raise ValueError(f"formats must be unique; repeated: {dupes}")
        return formats

    @model_validator(mode="after")
    def _podcast(self) -> "FeedSettings":
        if self.kind == "podcast":
            if self.podcast is None:
                raise ValueError('kind = "podcast" needs a [feeds.podcast] table (image, ...)')
            if "rss" not in self.formats:
                raise ValueError('kind = "podcast" needs "rss" in formats: podcast apps read it')
            if self.select == "latest":
                raise ValueError('kind = "podcast" needs select = "all"')
        elif self.podcast is not None:
            raise ValueError('[feeds.podcast] is for kind = "podcast" feeds')
        return self

    @model_validator(mode="after")
    def _latest_has_no_filters(self) -> "FeedSettings":
        if self.select == "latest":
            excluding = [f"exclude_{kind}" for kind in EXCLUDABLE]
            given = [kind for kind in (*LABEL_KINDS, *excluding, "per") if getattr(self, kind)]
            if given:
                raise ValueError(
                    f'{given[0]} needs select = "all": the latest-news list is taken as it is'
                )
        return self

    def filters(self) -> dict[LabelKind, list[str]]:
        """The label filters this feed was given, by kind."""
        return {kind: getattr(self, kind) for kind in LABEL_KINDS if getattr(self, kind)}

    def exclusions(self) -> dict[LabelKind, list[str]]:
        """The labels whose articles this feed leaves out, by kind."""
        found = {kind: getattr(self, f"exclude_{kind}") for kind in EXCLUDABLE}
        return {kind: values for kind, values in found.items() if values}

    @property
    def own_language(self) -> str:
        """The language the feed declares: its one language filter's, else the site's."""
        return self.language[0] if len(self.language) == 1 else ""

    @property
    def archived(self) -> bool:
        """RFC 5005 history pages: for feeds of the store's articles, not of the latest list."""
        return self.archive and self.select == "all"


# Each reads differently on the index page and in a reader's list of feeds.
DEFAULT_FEEDS = (
    FeedSettings(name="main", select="all"),
    FeedSettings(
        name="latest",
        title="{site.title}: latest news",
        description="What {site.title} leads with now, in the newsroom's order.",
        select="latest",
    ),
    FeedSettings(
        name="category",
        title="{site.title}: {value}",
        description="Every {site.title} story in {value}, newest first.",
        per="category",
    ),
)
