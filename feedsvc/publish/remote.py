"""Upload targets: S3-compatible buckets and WebDAV servers, each given one file at a time."""

import logging
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from feedsvc.core.config import PublishSettings
from feedsvc.core.layout import CORS

log = logging.getLogger(__name__)
CORS_RULE = {
    "AllowedOrigins": ["*"],
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedHeaders": ["If-None-Match", "If-Modified-Since", "Cache-Control"],
    "ExposeHeaders": [
        name.strip() for name in dict(CORS)["access-control-expose-headers"].split(",")
    ],
    "MaxAgeSeconds": 86400,
}


def _reads_anywhere(rule: dict[str, Any]) -> bool:
    return "*" in rule.get("AllowedOrigins", []) and "GET" in rule.get("AllowedMethods", [])


class Upload(Protocol):
    def put(
        self, path: str, body: bytes, content_type: str, encoding: str, digest: str, caching: str
    ) -> None:
        """Store `body` at `path` below the target, to be served with Cache-Control
        `caching`; raise on failure."""

    def delete(self, path: str) -> None:
        """Remove `path` below the target (gone already is fine); raise on failure."""


class S3Upload:
    """Any S3-compatible store, through boto3.

    S3 keeps no CORS headers on an object: the bucket's CORS rules give them. The first
    upload adds a rule letting any origin GET (and read ETag, Last-Modified and Link)
    to the rules the bucket has, unless one does that already; a store that refuses is
    logged, and uploads go on.
    """

    def __init__(self, settings: PublishSettings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            region_name=settings.region,
            aws_access_key_id=settings.access_key.get_secret_value() or None,
            aws_secret_access_key=settings.secret_key.get_secret_value() or None,
            config=Config(
                retries={"max_attempts": 1},  # the mirror retries, with backoff
                connect_timeout=5,
                read_timeout=30,
                s3={"addressing_style": "path"},
            ),
        )
        self._cors_checked = False

    def _allow_cross_origin_reads(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self._cors_checked = True
        try:
            try:
                rules = self.client.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
                    raise
                rules = []
            if any(_reads_anywhere(rule) for rule in rules):
                return
            self.client.put_bucket_cors(
                Bucket=self.bucket, CORSConfiguration={"CORSRules": [*rules, CORS_RULE]}
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning(
                "bucket %s: cannot set its CORS rules (%s); browser-based readers on other "
                "sites cannot read its feeds until it allows GET from any origin",
                self.bucket,
                exc,
            )

    def put(
        self, path: str, body: bytes, content_type: str, encoding: str, digest: str, caching: str
    ) -> None:
        if not self._cors_checked:
            self._allow_cross_origin_reads()
        extra = {"ContentEncoding": encoding} if encoding else {}
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + path,
            Body=body,
            ContentType=content_type,
            CacheControl=caching,
            Metadata={"sha256": digest},
            **extra,
        )

    def delete(self, path: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + path)


class WebDavUpload:
    """HTTP PUT to a WebDAV server, making missing folders with MKCOL."""

    def __init__(self, settings: PublishSettings) -> None:
        url = httpx.URL(settings.url if settings.url.endswith("/") else settings.url + "/")
        auth = None
        headers = {}
        if settings.username:
            auth = httpx.BasicAuth(settings.username, settings.password.get_secret_value())
        elif url.userinfo:
            auth = httpx.BasicAuth(url.username, url.password)
        elif token := settings.token.get_secret_value():
            headers["Authorization"] = f"Bearer {token}"
        # Credentials written into the URL are sent as a header, never kept in the URL,
        # where every request's log line and error message would show them.
        url = url.copy_with(userinfo=b"")
        self.client = httpx.Client(base_url=url, auth=auth, headers=headers, timeout=30)
        self._folders: set[str] = set()

    def put(
        self, path: str, body: bytes, content_type: str, encoding: str, digest: str, caching: str
    ) -> None:
        headers = {
            "Content-Type": content_type,
            "X-Content-SHA256": digest,
            "Cache-Control": caching,
        }
        if encoding:
            headers["Content-Encoding"] = encoding
        self._make_folders(path)
        response = self.client.put(quote(path), content=body, headers=headers)
        response.raise_for_status()

    def delete(self, path: str) -> None:
        response = self.client.delete(quote(path))
        if response.status_code != 404:
            response.raise_for_status()

    def _make_folders(self, path: str) -> None:
        """Each folder on the way, once per process: servers differ in how they refuse a PUT
        into a missing folder (409 by RFC 4918, 500 from nginx), so none is left to chance."""
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth]) + "/"
            if folder in self._folders:
                continue
            response = self.client.request("MKCOL", quote(folder))
            if response.status_code not in (201, 405):  # 405: it exists already
                response.raise_for_status()
            self._folders.add(folder)


def upload_for(settings: PublishSettings) -> Upload:
    if settings.kind == "s3":
        return S3Upload(settings)
    return WebDavUpload(settings)
