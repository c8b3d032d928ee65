from __future__ import annotations

import os

import pytest

from client.config import (
    ConfigError,
    check_endpoint,
    config_path,
    load_config,
    mirror_deletes,
    push_in_flight,
)


@pytest.mark.parametrize(
    "url", ["http://ingest.example.com", "http://10.0.0.5:8080", "http://[2001:db8::1]/"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="refusing plain http://.*Use https://"):
        check_endpoint(url)


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:9", "http://[::1]:80"])
def test_plain_http_to_loopback_is_allowed_but_flagged(url: str) -> None:
    assert check_endpoint(url)[1] is True


def test_https_is_not_flagged_and_credentials_in_urls_are_refused() -> None:
    assert check_endpoint("https://ingest.example.com/")[1] is False
    with pytest.raises(ConfigError, match="must not contain credentials"):
        check_endpoint("https://user:pw@ingest.example.com")


def test_push_to_http_endpoint_fails_with_exit_code_2(monkeypatch, tmp_path) -> None:
    from click.testing import CliRunner

    from client.cli import main

    monkeypatch.setenv("AV_ENDPOINT", "http://ingest.example.com")
    monkeypatch.setenv("AV_TOKEN", "avd_x")
    result = CliRunner().invoke(main, ["push"])
    assert result.exit_code == 2 and "refusing plain http://" in result.output


def test_token_file_must_be_private(monkeypatch, tmp_path) -> None:
    token = tmp_path / "token"
    token.write_text("avd_secret")
    os.chmod(token, 0o644)
    monkeypatch.setenv("AV_ENDPOINT", "https://ingest.example.com")
    monkeypatch.setenv("AV_TOKEN_FILE", str(token))
    with pytest.raises(ConfigError, match="chmod 600"):
        load_config()
    os.chmod(token, 0o600)
    config = load_config()
    assert config.token == "avd_secret" and "avd_secret" not in repr(config)


def test_push_in_flight_comes_from_the_environment_then_config_json_then_defaults_to_3(monkeypatch) -> None:
    assert push_in_flight() == 3
    config_path().parent.mkdir(parents=True)
    config_path().write_text('{"push_in_flight": 4}')
    assert push_in_flight() == 4
    monkeypatch.setenv("AV_PUSH_IN_FLIGHT", "1")
    assert push_in_flight() == 1


@pytest.mark.parametrize("value", ["0", "9", "two", "2.5", "-1", "²"])
def test_push_in_flight_out_of_bounds_or_not_a_number_is_refused(monkeypatch, value) -> None:
    monkeypatch.setenv("AV_PUSH_IN_FLIGHT", value)
    with pytest.raises(ConfigError, match="AV_PUSH_IN_FLIGHT must be a whole number from 1 to 8"):
        push_in_flight()


@pytest.mark.parametrize("value", ["0", "5", "true", "2.0", "null"])
def test_push_in_flight_in_config_json_must_be_an_integer_in_bounds(value) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text(f'{{"push_in_flight": {value}}}')
    if value == "5":
        assert push_in_flight() == 5
    elif value == "null":
        assert push_in_flight() == 3  # absent: the default
    else:
        with pytest.raises(ConfigError, match="push_in_flight in .*config.json must be a whole number"):
            push_in_flight()


def test_mirror_deletes_is_off_unless_opted_in_by_environment_or_config_json(monkeypatch) -> None:
    assert mirror_deletes() is False  # history is kept by default
    config_path().parent.mkdir(parents=True)
    config_path().write_text('{"mirror_deletes": true}')
    assert mirror_deletes() is True
    monkeypatch.setenv("AV_MIRROR_DELETES", "no")
    assert mirror_deletes() is False
    monkeypatch.setenv("AV_MIRROR_DELETES", "sometimes")
    with pytest.raises(ConfigError, match="AV_MIRROR_DELETES must be true or false"):
        mirror_deletes()
    monkeypatch.delenv("AV_MIRROR_DELETES")
    config_path().write_text('{"mirror_deletes": 1}')
    with pytest.raises(ConfigError, match="mirror_deletes in .* must be true or false"):
        mirror_deletes()


def test_an_endpoint_ending_in_v1_is_refused_with_the_fix() -> None:
    for url in ("https://abc.execute-api.eu-west-1.amazonaws.com/v1/", "https://av.example.com/av/v1"):
        with pytest.raises(ConfigError, match="ends in /v1, which av-client adds itself"):
            check_endpoint(url)
    assert check_endpoint("https://av.example.com/av/")[0] == "https://av.example.com/av"
    assert check_endpoint("https://av.example.com/v10")[0] == "https://av.example.com/v10"
