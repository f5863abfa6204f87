"""config.toml: every setting documented, paths relative to the file, errors that name the key."""

import re
import tomllib
from pathlib import Path

import pytest
from conftest import feedsvc

from feedsvc.core.config import ConfigError, FeedSettings, Settings, load
from feedsvc.core.config.reference import reference_table
from feedsvc.site.scaffold import SAMPLE_LANGUAGES, site_config

REPO = Path(__file__).resolve().parents[1]


def test_the_init_file_has_every_setting_of_its_kinds_at_its_default():
    text = site_config(
        articles="articles",
        latest="latest-news.txt",
        state="state.db",
        public="public",
        languages={},
    )
    settings = Settings.model_validate(tomllib.loads(text))
    assert settings == Settings()
    written = set(re.findall(r"^(\w+) = ", text, re.M))
    sections = (settings.site, settings.latest, settings.state, settings.schedule)
    for model in (*sections, settings.server, settings.websub, settings.api):
        assert set(type(model).model_fields) <= written, type(model).__name__
    assert set(FeedSettings.model_fields) - {"podcast"} <= written
    # A files store and a local folder: the keys of sql and feed stores, and of S3 and
    # WebDAV targets, are in docs/configuration.md, not in a files-only site's config.
    for key in ("table", "query", "columns", "bucket", "endpoint_url", "secret_key"):
        assert key not in written, key
    assert "docs/configuration.md" in text
    # Each setting's meaning is the comment above it.
    assert "# The port they listen on.\nport = 8080\n" in text


def test_the_repository_config_is_the_init_file_pointing_at_the_sample():
    expected = site_config(
        articles="feedsvc/sample/articles",
        latest="feedsvc/sample/latest-news.txt",
        state="var/state.db",
        public="var/public",
        languages=SAMPLE_LANGUAGES,
    )
    assert (REPO / "config.toml").read_text(encoding="utf-8") == expected


def test_the_configuration_reference_is_the_settings_model():
    """docs/configuration.md holds the table made from the model's docstrings: no key
    can be left out or documented with a default it does not have."""
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert reference_table() in page, "run: python -m feedsvc.core.config.reference"
    for key in (
        "`site.title`",
        "`[[store]]` `table`",
        "`[[publish]]` `bucket`",
        "`[[feeds]]` `podcast.image`",
        "`schedule.redo_slice`",
    ):
        assert key in reference_table(), key


def test_a_string_where_a_number_is_asked_is_refused(tmp_path: Path):
    file = tmp_path / "config.toml"
    file.write_text('[server]\nport = "8095"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"server\.port: Input should be a valid integer"):
        load(file)


def test_paths_are_relative_to_the_config_folder(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    file = tmp_path / "conf" / "config.toml"
    file.write_text('[store]\npath = "../news"\n[state]\nurl = "sqlite:///db/state.db"\n')
    settings = load(file)
    assert settings.store[0].path == tmp_path / "news"
    assert settings.state.url == f"sqlite:///{tmp_path / 'conf' / 'db' / 'state.db'}"
    assert settings.public_dir == tmp_path / "conf" / "public"
    assert settings.latest.path == tmp_path / "conf" / "latest-news.txt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[site\ntitle = 1", "not valid TOML: "),
        (
            '[site]\ntitle = "x"\ntitel = "y"\n',
            "site.titel: unknown setting (did you mean 'title'?)",
        ),
        ("[sever]\nport = 8095\n", "sever: unknown setting (did you mean 'server'?)"),
        (
            '[[feeds]]\nname = "main"\nlimt = 5\n',
            "feeds[0].limt: unknown setting (did you mean 'limit'?)",
        ),
        (
            '[[feeds]]\nname = "main"\nlimit = -3\n',
            "feeds[0].limit: Input should be greater than 0",
        ),
        ('[[feeds]]\nname = "Main Feed"\n', "feeds[0].name: String should match pattern"),
        (
            '[[feeds]]\nname = "a"\n[[feeds]]\nname = "a"\n',
            "feeds: feed names must be unique; repeated: a",
        ),
        ('[schedule]\ncron = "every minute"\n', "schedule.cron: not a crontab expression"),
        (
            '[site]\narticle_url = "https://example.org/news/"\n',
            "site.article_url: must contain {slug}",
        ),
        (
            '[site]\nbase_url = "feeds.example.org"\n',
            "site.base_url: must be an absolute http(s) URL",
        ),
        ('[site]\ntimezone = "Mars/Olympus"\n', "site.timezone: unknown time zone"),
        ('[store]\nkind = "ftp"\n', "store.kind: Input should be 'files'"),
    ],
)
def test_a_broken_config_names_the_file_and_the_key(tmp_path: Path, text: str, message: str):
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert str(caught.value).startswith(f"{file}: ")
    assert message in str(caught.value)


def test_a_toml_error_gives_the_line(tmp_path: Path):
    file = tmp_path / "config.toml"
    file.write_text('[site]\ntitle = "ok"\nurl = https://x\n')
    with pytest.raises(ConfigError, match=r"line 3"):
        load(file)


def test_a_broken_config_stops_every_command_with_a_message_not_a_traceback(tmp_path: Path):
    file = tmp_path / "config.toml"
    file.write_text("[server]\nport = 'eighty'\n")
    for command in ("build", "check", "serve", "run"):
        result = feedsvc("--config", str(file), command)
        assert result.returncode == 2, command
        assert result.stderr.strip() == (
            f"feedsvc: {file}: server.port: Input should be a valid integer"
        )
        assert "Traceback" not in result.stderr + result.stdout


def test_a_missing_config_says_how_to_make_one(tmp_path: Path):
    result = feedsvc("build", cwd=tmp_path)
    assert result.returncode == 2
    assert "config.toml: config file not found" in result.stderr
    assert "feedsvc init" in result.stderr


def test_feedsvc_config_environment_variable_names_the_file(tmp_path: Path):
    file = tmp_path / "elsewhere.toml"
    file.write_text("[site]\nbogus = 1\n")
    result = feedsvc("check", cwd=tmp_path, env={"FEEDSVC_CONFIG": str(file)})
    assert result.returncode == 2
    assert f"{file}: site.bogus: unknown setting" in result.stderr


def test_a_state_database_that_cannot_be_opened_is_a_message(tmp_path: Path):
    file = tmp_path / "config.toml"
    file.write_text('[state]\nurl = "nosuchdb://x/y"\n')
    result = feedsvc("--config", str(file), "build")
    assert result.returncode == 2
    assert result.stderr.startswith(f"feedsvc: {file}: state.url: cannot open the state database: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("schedule", "minutes"),
    [
        ({"interval": 60}, 1),
        ({"interval": 90}, 2),
        ({"interval": 20}, 1),
        ({"cron": "*/5 * * * *"}, 5),
        ({"cron": "0 9 * * 1-5"}, 1440),  # weekdays at nine: a day apart at the closest
    ],
)
def test_readers_are_told_how_often_feeds_can_change(schedule: dict, minutes: int):
    from feedsvc.core.config import ScheduleSettings

    assert ScheduleSettings(**schedule).minutes("Asia/Almaty") == minutes


def test_new_removal_and_language_settings_are_bounded_and_named(tmp_path: Path):
    """A century of days at most (further back than a build can reckon a date, it
    crashed), and a store's languages must be language tags."""
    file = tmp_path / "config.toml"
    file.write_text("[site]\ntombstone_days = 1000000\n")
    with pytest.raises(ConfigError, match=r"site\.tombstone_days: .*36500"):
        load(file)
    file.write_text('[store]\nlanguages = { "ru" = "русский <b>" }\n')
    with pytest.raises(ConfigError, match=r"store\.languages\.ru: String should match pattern"):
        load(file)
    file.write_text('[store]\nlanguage = "kk"\nlanguages = { "ru" = "ru-RU" }\n')
    assert load(file).store[0].languages == {"ru": "ru-RU"}
