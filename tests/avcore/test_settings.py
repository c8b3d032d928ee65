"""Typed settings from AV_* variables, and the DSN from Secrets Manager (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from psycopg.conninfo import conninfo_to_dict

from avcore.secrets import store as secret_store
from avcore.settings import (
    DatabaseSettings,
    IngestSettings,
    SettingsError,
    ViewerSettings,
    dsn_from_secret,
    load,
)

GOOD_DSN = "postgresql://av_ingest:hunter2-pw@db.example.com:5432/av"
GOOD_SECRET = "k" * 40
PASSWORD = "Sup3r/Secret 'pw' \\ x"


@pytest.fixture(autouse=True)
def _fresh_secret_cache() -> Iterator[None]:
    secret_store.clear()
    yield
    secret_store.clear()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def client_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Count boto3.client() calls while still handing out (moto-backed) clients."""
    calls: list[tuple] = []
    real = boto3.client

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting)
    return calls


def _secret(value: str, name: str = "av/db") -> str:
    return boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]


# --- plain environment -------------------------------------------------------------


@pytest.mark.parametrize("cls", [DatabaseSettings, IngestSettings])
def test_missing_database_url_names_the_variable(cls) -> None:
    with pytest.raises(SettingsError, match="AV_DATABASE_URL"):
        load(cls)


@pytest.mark.parametrize("value", ["changeme", "CHANGEME ", "<your-dsn>", "${DB_URL}", "   ", "password"])
def test_placeholder_database_url_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", value)
    with pytest.raises(SettingsError, match="AV_DATABASE_URL") as err:
        load(IngestSettings)
    assert "placeholder" in str(err.value)


def test_empty_database_url_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", "")
    with pytest.raises(SettingsError, match="AV_DATABASE_URL"):
        load(IngestSettings)


@pytest.mark.parametrize("value", ["changeme", "<arn>", "${SECRET_ARN}"])
def test_placeholder_secret_arn_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AV_DATABASE_SECRET_ARN", value)
    with pytest.raises(SettingsError, match="AV_DATABASE_SECRET_ARN"):
        load(IngestSettings)


def test_a_real_dsn_loads_and_is_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_DB_POOL_SIZE", "3")
    monkeypatch.setenv("AV_DB_ALLOW_INSECURE", "true")
    s = load(IngestSettings)
    assert s.dsn() == GOOD_DSN
    assert s.db_pool_size == 3
    assert s.db_allow_insecure is True
    assert s.db_allow_insecure is not False
    assert "hunter2-pw" not in repr(s)
    assert "hunter2-pw" not in str(s.model_dump())


def test_variable_names_are_read_in_any_case_and_keywords_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("av_database_url", GOOD_DSN)
    monkeypatch.setenv("Av_Db_Pool_Size", "4")
    monkeypatch.setenv("AV_NOT_A_SETTING", "ignored")
    s = load(IngestSettings, db_pool_size=2)
    assert s.dsn() == GOOD_DSN
    assert s.db_pool_size == 2
    monkeypatch.setenv("AV_CORS_ORIGINS", "https://a.example.com, http://localhost:5173")
    monkeypatch.setenv("AV_SESSION_SECRET", GOOD_SECRET)
    assert load(ViewerSettings).cors_origins == ("https://a.example.com", "http://localhost:5173")


def test_allow_insecure_defaults_to_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    assert load(IngestSettings).db_allow_insecure is False


def test_an_invalid_number_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_DB_POOL_SIZE", "lots")
    with pytest.raises(SettingsError, match="AV_DB_POOL_SIZE"):
        load(IngestSettings)


def test_viewer_without_session_secret_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    with pytest.raises(SettingsError, match="AV_SESSION_SECRET"):
        load(ViewerSettings)


@pytest.mark.parametrize("value", ["changeme", "<random>", "${SESSION_SECRET}"])
def test_viewer_placeholder_session_secret(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_SESSION_SECRET", value)
    with pytest.raises(SettingsError, match="AV_SESSION_SECRET is a placeholder"):
        load(ViewerSettings)


def test_viewer_short_session_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_SESSION_SECRET", "s" * 31)
    with pytest.raises(SettingsError, match="AV_SESSION_SECRET is too short") as err:
        load(ViewerSettings)
    assert "s" * 31 not in str(err.value)
    monkeypatch.setenv("AV_SESSION_SECRET", "s" * 32)
    assert load(ViewerSettings).session_secret.get_secret_value() == "s" * 32


def test_viewer_still_needs_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AV_SESSION_SECRET", GOOD_SECRET)
    with pytest.raises(SettingsError, match="AV_DATABASE_URL"):
        load(ViewerSettings)


@pytest.mark.parametrize("value", ["prod", "/prod/", "/", "prod/"])
def test_bad_base_path_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_SESSION_SECRET", GOOD_SECRET)
    monkeypatch.setenv("AV_BASE_PATH", value)
    with pytest.raises(SettingsError, match="AV_BASE_PATH"):
        load(ViewerSettings)


@pytest.mark.parametrize("value", ["", "/prod", "/a/b"])
def test_good_base_path(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_SESSION_SECRET", GOOD_SECRET)
    monkeypatch.setenv("AV_BASE_PATH", value)
    assert load(ViewerSettings).base_path == value


# --- Secrets Manager (moto) ---------------------------------------------------------


def _load_with_secret(monkeypatch: pytest.MonkeyPatch, arn: str) -> IngestSettings:
    monkeypatch.setenv("AV_DATABASE_SECRET_ARN", arn)
    return load(IngestSettings)


def test_secret_holding_a_plain_dsn(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = _secret("  " + GOOD_DSN + "\n")
    assert _load_with_secret(monkeypatch, arn).dsn() == GOOD_DSN


def test_secret_holding_dsn_json(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = _secret(json.dumps({"dsn": GOOD_DSN, "note": "ignored"}))
    assert _load_with_secret(monkeypatch, arn).dsn() == GOOD_DSN


def test_secret_in_the_rds_json_shape(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = _secret(
        json.dumps(
            {
                "engine": "postgres",
                "username": "av_ingest",
                "password": PASSWORD,
                "host": "av.cluster-abc.eu-west-1.rds.amazonaws.com",
                "port": 5433,
                "dbname": "avcloud",
            }
        )
    )
    params = conninfo_to_dict(_load_with_secret(monkeypatch, arn).dsn())
    assert params == {
        "user": "av_ingest",
        "password": PASSWORD,
        "host": "av.cluster-abc.eu-west-1.rds.amazonaws.com",
        "port": "5433",
        "dbname": "avcloud",
    }


def test_rds_json_defaults_port_and_dbname(aws) -> None:
    arn = _secret(json.dumps({"username": "u", "password": "p", "host": "h.example.com"}))
    params = conninfo_to_dict(dsn_from_secret(arn))
    assert params["port"] == "5432"
    assert params["dbname"] == "postgres"


def test_the_url_wins_over_the_secret(aws, monkeypatch: pytest.MonkeyPatch, client_calls) -> None:
    monkeypatch.setenv("AV_DATABASE_URL", GOOD_DSN)
    monkeypatch.setenv("AV_DATABASE_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x")
    assert load(IngestSettings).dsn() == GOOD_DSN
    assert client_calls == []


def test_missing_secret_names_the_variable(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load_with_secret(
        monkeypatch, "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"
    )
    with pytest.raises(SettingsError, match="AV_DATABASE_SECRET_ARN") as err:
        settings.dsn()
    assert "ResourceNotFound" in str(err.value)


def test_secret_is_held_per_container(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = _secret(GOOD_DSN)
    settings = _load_with_secret(monkeypatch, arn)
    reads = secret_store.reads
    assert settings.dsn() == GOOD_DSN
    assert settings.dsn() == GOOD_DSN
    assert load(IngestSettings).dsn() == GOOD_DSN  # a second settings object shares the store
    assert secret_store.reads == reads + 1
    # the store really is what saved the reads: a refresh reads again
    assert settings.dsn(refresh=True) == GOOD_DSN
    assert secret_store.reads == reads + 2


def test_a_failed_read_is_not_cached(aws) -> None:
    name = "av/later"
    with pytest.raises(SettingsError):
        dsn_from_secret(name)
    _secret(GOOD_DSN, name=name)
    assert dsn_from_secret(name) == GOOD_DSN
    assert secret_store.reads == 2  # read (failed), read again


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"username": "u", "password": PASSWORD}),  # no host
        json.dumps({"password": PASSWORD, "host": "h"}),  # no username
        '{"username": "u", "password": "' + PASSWORD.replace("\\", "") + '", ',  # broken JSON
    ],
)
def test_unusable_secret_errors_name_the_variable_but_never_the_password(aws, value: str) -> None:
    arn = _secret(value)
    with pytest.raises(SettingsError, match="AV_DATABASE_SECRET_ARN") as err:
        dsn_from_secret(arn)
    message = str(err.value)
    assert "Sup3r" not in message
    assert PASSWORD not in message
    # the JSON error (whose .doc is the whole secret) must not be chained into tracebacks
    assert err.value.__suppress_context__ or err.value.__context__ is None
