"""The Microsoft 365 Agents Toolkit's own CLI, offline: it validates the manifest, builds the app package
and packs what Deploy uploads, from this project's files."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.toolkit.project import ROOT, project_file, run_atk

TEAMS_APP_ID = "0f1e2d3c-4b5a-4678-9abc-def012345678"
BOT_ID = "6a1f2c3d-4b5e-4f60-8a7b-9c0d1e2f3a4b"


@pytest.fixture
def ids(tmp_path: Path) -> Path:
    """An environment file with the ids Provision would write (they must be GUIDs)."""
    path = tmp_path / ".env.test"
    path.write_text(f"TEAMS_APP_ID={TEAMS_APP_ID}\nBOT_ID={BOT_ID}\nAPP_NAME_SUFFIX=test\n")
    return path


def test_the_toolkit_validates_the_manifest_against_its_schema(ids: Path, tmp_path: Path) -> None:
    manifest = ROOT / "appPackage" / "manifest.json"
    result = run_atk("validate", "--manifest-file", str(manifest), "--env-file", str(ids), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All passed" in result.stdout


def test_the_toolkit_refuses_a_manifest_that_breaks_its_schema(ids: Path, tmp_path: Path) -> None:
    """The check is real: a command title over the schema's 32 characters fails it."""
    package = tmp_path / "appPackage"
    shutil.copytree(ROOT / "appPackage", package, ignore=shutil.ignore_patterns("build", "*.py"))
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["bots"][0]["commandLists"][0]["commands"][0]["title"] = "a title far longer than Teams allows"
    (package / "manifest.json").write_text(json.dumps(manifest))
    result = run_atk(
        "validate", "--manifest-file", str(package / "manifest.json"), "--env-file", str(ids), home=tmp_path
    )
    assert result.returncode != 0
    assert "title" in result.stdout + result.stderr


def test_the_toolkit_builds_the_app_package(ids: Path, tmp_path: Path) -> None:
    output = tmp_path / "build"
    zip_path = output / "appPackage.test.zip"
    result = run_atk(
        "package",
        "--manifest-file",
        str(ROOT / "appPackage" / "manifest.json"),
        "--env-file",
        str(ids),
        "--output-package-file",
        str(zip_path),
        "--output-folder",
        str(output),
        home=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(zip_path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert package.read("color.png") == (ROOT / "appPackage" / "color.png").read_bytes()
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["id"] == TEAMS_APP_ID
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert "${{" not in json.dumps(manifest)
    source = json.loads((ROOT / "appPackage" / "manifest.json").read_text())
    assert manifest["bots"][0]["commandLists"] == source["bots"][0]["commandLists"]


def test_deploy_uploads_the_bot_without_tests_secrets_or_local_environments(tmp_path: Path) -> None:
    """m365agents.yml's deploy, as a dry run (the toolkit packs the zip and stops before Azure)."""
    deploy = {
        "version": project_file("m365agents.yml")["version"],
        "deploy": project_file("m365agents.yml")["deploy"],
    }
    [zip_deploy] = [action for action in deploy["deploy"] if action["uses"] == "azureAppService/zipDeploy"]
    upload = tmp_path / "bot.zip"
    zip_deploy["with"].update(dryRun=True, outputZipFile=str(upload))
    config = tmp_path / "m365agents.yml"
    config.write_text(yaml.safe_dump(deploy))
    site = f"/subscriptions/{TEAMS_APP_ID}/resourceGroups/rg/providers/Microsoft.Web/sites/bot"
    result = run_atk(
        "deploy",
        "--folder",
        str(ROOT),
        "--config-file-path",
        str(config),
        "--ignore-env-file",
        home=tmp_path,
        env={"BOT_AZURE_APP_SERVICE_RESOURCE_ID": site},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(upload) as package:
        names = set(package.namelist())
    # What App Service needs to build and start the bot, and the knowledge it searches.
    assert {"app.py", "config.py", "requirements.txt", "startup.sh", "streaming/answer_stream.py"} <= names
    knowledge = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "docs" / "knowledge").rglob("*")
        if path.is_file()
    }
    assert knowledge and knowledge <= names
    # Nothing of the tests, the local environments, the toolkit's files or anyone's secrets.
    tops = {name.split("/")[0] for name in names}
    assert not tops & {
        "tests",
        "env",
        ".env",
        ".venv",
        ".venv-agents",
        "devTools",
        ".vscode",
        ".git",
        "benchmarks",
    }
    assert not [name for name in names if "node_modules/" in name or "__pycache__/" in name]
