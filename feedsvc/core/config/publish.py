"""[[publish]]: where built feeds are written, and the uploads that copy them."""

import re
from typing import Literal

from pydantic import SecretStr, model_validator

from feedsvc.core.config.base import FilePath, Secret, Section, only_fields_of_kind

PUBLISH_FIELDS = {
    "local": {"path"},
    "s3": {"bucket", "prefix", "endpoint_url", "region", "access_key", "secret_key"},
    "webdav": {"url", "username", "password", "token"},
}


class PublishSettings(Section):
    kind: Literal["local", "s3", "webdav"] = "local"
    """`local`: a folder (`PATH/feeds/NAME.rss`, `.atom`, `.json`, each with `.gz`, and
    `.br` with `server.brotli`), served by `feedsvc serve` or any web server; one is
    needed, and uploads copy it. `s3`: any S3-compatible store. `webdav`: HTTP PUT."""
    name: str = ""
    """The target's name in logs, `/healthz` and metrics (empty: the kind)."""
    path: FilePath = FilePath("public")
    """local: the folder."""
    bucket: str = ""
    """s3: the bucket."""
    prefix: str = ""
    """s3: a key prefix (`news/`)."""
    endpoint_url: str = ""
    """s3: the S3-compatible endpoint (empty: AWS)."""
    region: str = "us-east-1"
    """s3: the region."""
    access_key: Secret = SecretStr("")
    """s3: the access key (empty: boto3's usual environment); `"${NAME}"` reads an
    environment variable."""
    secret_key: Secret = SecretStr("")
    """s3: the secret key; `"${NAME}"` reads an environment variable."""
    url: str = ""
    """webdav: the folder's URL (MKCOL makes missing folders)."""
    username: str = ""
    """webdav: basic auth's user."""
    password: Secret = SecretStr("")
    """webdav: basic auth's password; `"${NAME}"` reads an environment variable."""
    token: Secret = SecretStr("")
    """webdav: a bearer token instead; `"${NAME}"` reads an environment variable."""

    @model_validator(mode="after")
    def _fits_kind(self) -> "PublishSettings":
        only_fields_of_kind(self, PUBLISH_FIELDS, "target")
        if self.kind == "s3" and not self.bucket:
            raise ValueError("an 's3' target needs bucket")
        if self.kind == "webdav" and not re.match(r"^https?://[^/\s]+", self.url):
            raise ValueError("a 'webdav' target needs url, the http(s) address of a folder")
        if self.username and self.token.get_secret_value():
            raise ValueError("give username and password (basic auth) or token, not both")
        return self

    @property
    def label(self) -> str:
        return self.name or self.kind
