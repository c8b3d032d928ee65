"""One release number, avprotocol.__version__, wherever a version is shown."""

from __future__ import annotations

from importlib.metadata import version

from click.testing import CliRunner

from avprotocol import __version__


def test_the_commands_and_the_distribution_show_the_one_version() -> None:
    from client.cli import main as av_client
    from infra.cli import main as av_admin

    assert version("av-cloud") == __version__
    for name, command in (("av-client", av_client), ("av-admin", av_admin)):
        shown = CliRunner().invoke(command, ["--version"])
        assert shown.exit_code == 0 and shown.output.strip() == f"{name}, version {__version__}"


def test_the_ingest_openapi_document_carries_it() -> None:
    from infra.openapi import ingest_openapi

    assert ingest_openapi()["info"]["version"] == __version__


def test_both_functions_answer_with_it(apps) -> None:
    assert apps.view("/api/v1/version").json()["version"] == __version__
    assert apps.ingest.get("/v1/health").json()["version"] == __version__
    assert apps.viewer.app.version == __version__
