"""metadata.yaml, pyproject.toml and the Dockerfile describe the same release."""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def metadata() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
    return data


def pyproject_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def dockerfile() -> str:
    # Continuation lines joined, so a LABEL spread over several lines reads as one instruction.
    return (ROOT / "Dockerfile").read_text().replace("\\\n", " ")


def dockerfile_label(name: str) -> str:
    (value,) = re.findall(rf'(?m)^LABEL\b.*?\b{re.escape(name)}="([^"]*)"', dockerfile())
    return value


def dockerfile_default_base_image() -> str:
    (value,) = re.findall(r"(?m)^ARG BASE_IMAGE=(\S+)\s*$", dockerfile())
    return value


def test_versions_agree() -> None:
    assert metadata()["dockerImageTag"] == pyproject_version() == dockerfile_label("io.airbyte.version") == "0.2.0"


def test_docs_quote_this_release() -> None:
    """The image tags the setup instructions quote, and the changelog's newest row, are this version."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    tags = {tag for page in pages for tag in re.findall(r"source-cloudwatch-logs:(\d+\.\d+\.\d+)", page.read_text())}
    assert tags == {pyproject_version()}
    tag_field = re.search(r"tag `(\d+\.\d+\.\d+)`", (ROOT / "docs" / "setup.md").read_text())
    assert tag_field is not None and tag_field.group(1) == pyproject_version()
    rows = re.findall(
        r"(?m)^\| (\d+\.\d+\.\d+) \| (\d{4}-\d{2}-\d{2}) \|", (ROOT / "docs" / "changelog.md").read_text()
    )
    assert rows[0][0] == pyproject_version()
    assert rows == sorted(rows, key=lambda row: tuple(map(int, row[0].split("."))), reverse=True)


def test_image_name_agrees() -> None:
    assert dockerfile_label("io.airbyte.name") == metadata()["dockerRepository"] == "airbyte/source-cloudwatch-logs"


def test_base_image_is_the_dockerfile_default_and_pinned_by_digest() -> None:
    base = metadata()["connectorBuildOptions"]["baseImage"]
    assert base == dockerfile_default_base_image()
    assert re.fullmatch(r"docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", base)


def test_dockerfile_entry_point_is_the_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "source-cloudwatch-logs" in scripts
    text = dockerfile()
    assert re.search(r'(?m)^ENTRYPOINT \["source-cloudwatch-logs"\]\s*$', text)
    assert re.search(r'AIRBYTE_ENTRYPOINT="source-cloudwatch-logs"', text)
    assert re.search(r"(?m)^USER airbyte\s*$", text)


def test_registry_fields() -> None:
    data = metadata()
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert data["connectorType"] == "source"
    assert data["connectorSubtype"] == "api"
    assert data["name"] == "CloudWatch Logs"
    assert data["license"] == "MIT"
    assert data["supportLevel"] == "community"
    assert data["tags"] == ["language:python", "cdk:python"]
    assert data["allowedHosts"]["hosts"] == [
        "logs.${region_name}.amazonaws.com",
        "sts.amazonaws.com",
        "sts.${region_name}.amazonaws.com",
    ]
    assert data["registryOverrides"] == {"oss": {"enabled": True}, "cloud": {"enabled": True}}
    assert data["maxSecondsBetweenMessages"] == 7200
    assert data["releases"]["rolloutConfiguration"] == {"enableProgressiveRollout": False}
    assert "breakingChanges" not in data["releases"]


def test_allowed_hosts_placeholders_are_spec_fields() -> None:
    from source_cloudwatch_logs.spec import connection_specification

    properties = connection_specification()["properties"]
    for host in metadata()["allowedHosts"]["hosts"]:
        for field in re.findall(r"\$\{(\w+)\}", host):
            assert field in properties, host


def test_documentation_url_matches_the_spec() -> None:
    from source_cloudwatch_logs.source import DOCUMENTATION_URL

    assert metadata()["documentationUrl"] == DOCUMENTATION_URL
