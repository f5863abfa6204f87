"""[api]: the ingest API newsroom systems post articles to."""

from pydantic import SecretStr

from feedsvc.core.config.base import Secret, Section


class ApiSettings(Section):
    token: Secret = SecretStr("")
    """The ingest API's bearer token (`POST /api/articles`, `DELETE /api/articles/ID`);
    empty: no API; `"${NAME}"` reads an environment variable."""
    store: str = ""
    """The `files` store the API writes into, as `PATH/api/ID.json` (empty: the first)."""
