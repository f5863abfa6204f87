"""Media types of article images, audio and video, for enclosures and attachments."""

import mimetypes
import re
from collections.abc import Sequence

from feedsvc.core.model import Image, Media
from feedsvc.core.podcast import APPLE_AUDIO_TYPES

# Readers want a type on every enclosure; an image URL without a known
# extension is still an image.
FALLBACK_IMAGE_TYPE = "image/jpeg"
# ... and a <video> or <audio> without a stated or known type the commonest of its kind.
FALLBACK_TYPES = {"image": FALLBACK_IMAGE_TYPE, "video": "video/mp4", "audio": "audio/mpeg"}
MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def guessed_type(url: str) -> str | None:
    """The media type the URL's file extension stands for, if any."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    return mimetypes.guess_type(path, strict=False)[0]


def media_type(url: str, stated: str | None, kind: str) -> str:
    """The stated type if it is one, else the extension's if it is of this kind (image,
    audio, video), else the commonest of the kind."""
    stated = (stated or "").split(";", 1)[0].strip().lower()
    if MEDIA_TYPE.match(stated):
        return stated
    guessed = guessed_type(url)
    return guessed if guessed and guessed.startswith(kind + "/") else FALLBACK_TYPES[kind]


def image_type(image: Image) -> str:
    return media_type(image.url, image.type, "image")


def enclosed(media: Sequence[Media]) -> Media | None:
    """The one of an item's media that RSS encloses: its first audio podcast apps play
    of a known length, else of any, else its first audio, else its first media."""
    audio = [item for item in media if item.kind == "audio"]
    playable = [item for item in audio if item.type in APPLE_AUDIO_TYPES]
    known = [item for item in playable if item.length is not None]
    return next(iter((*known, *playable, *audio, *media)), None)
