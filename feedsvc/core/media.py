"""Media types of article images, for enclosures and attachments."""

import mimetypes

from feedsvc.core.model import Image

# Readers want a type on every enclosure; an image URL without a known
# extension is still an image.
FALLBACK_IMAGE_TYPE = "image/jpeg"


def image_type(image: Image) -> str:
    if image.type:
        return image.type
    path = image.url.split("?", 1)[0].split("#", 1)[0]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    return guessed if guessed and guessed.startswith("image/") else FALLBACK_IMAGE_TYPE
