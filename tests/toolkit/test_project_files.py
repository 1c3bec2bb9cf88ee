"""The Agents Toolkit project files (m365agents*.yml, env/, .vscode/) fit together and fit the bot.

VS Code and the toolkit's extension cannot run here; these tests check what they would read: the
files against the toolkit's own schema, every ${{VARIABLE}} against where its value comes from, the
debugger's configurations against the tasks and the files the toolkit writes, and the bot started
with the settings F5 on the Playground gives it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from benchmarks.serving import LOOPBACK, free_port
from tests.deployment.bicep_template import read_bicep
from tests.support.processes import ManagedProcess
from tests.toolkit.project import CLI_PACKAGE, ROOT, env_file, placeholders, project_file, require_cli

PROJECT_FILES = {
    "dev": "m365agents.yml",
    "local": "m365agents.local.yml",
    "playground": "m365agents.playground.yml",
}
#: Variables the toolkit fills itself when they are empty: it asks for the subscription and the resource
#: group, and makes up a resource suffix.
ASKED_OR_MADE_UP = {"AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP_NAME", "RESOURCE_SUFFIX"}
PLAYGROUND_CLI = "node_modules/@microsoft/m365agentsplayground/cli.js"


def vscode(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / ".vscode" / name).read_text())
    return document


def actions(env: str, lifecycle: str) -> list[dict[str, Any]]:
    return list(project_file(PROJECT_FILES[env]).get(lifecycle) or [])


def written_by(action: dict[str, Any]) -> set[str]:
    """The variables an action writes to the environment."""
    written = set((action.get("writeToEnvironmentFile") or {}).values())
    if action["uses"] == "arm/deploy":
        for template in action["with"]["templates"]:
            written |= {name.upper() for name in read_bicep(ROOT / template["path"])["outputs"]}
    return written


def tunnel_writes(env: str) -> set[str]:
    """What the "Start local tunnel" task of `env` writes (the endpoint the bot registration points at)."""
    written: set[str] = set()
    for task in vscode("tasks.json")["tasks"]:
        if task.get("command") == "debug-start-local-tunnel" and task["args"]["env"] == env:
            for port in task["args"]["ports"]:
                written |= set(port["writeToEnvironmentFile"].values())
    return written


def unresolved(env: str, env_dir: Path = ROOT / "env") -> list[tuple[str, str]]:
    """(action, variable) for each placeholder that would be empty when the action runs.

    The toolkit stops on a placeholder whose variable is unset or empty. Values come from the
    environment's file, the toolkit itself, the local tunnel, or an action that ran before (Provision
    runs before Deploy); an action reads the files it is given too (a parameters file, the manifest).
    """
    known = {name for name, value in env_file(env_dir / f".env.{env}").items() if value}
    known |= ASKED_OR_MADE_UP | tunnel_writes(env)
    missing = []
    for lifecycle in ("provision", "deploy", "publish"):
        for action in actions(env, lifecycle):
            used = placeholders(action.get("with"))
            for template in (action.get("with") or {}).get("templates", []):
                used += placeholders((ROOT / template["parameters"]).read_text())
            if action["uses"] == "teamsApp/zipAppPackage":
                used += placeholders((ROOT / action["with"]["manifestPath"]).read_text())
            missing += [(action["uses"], name) for name in used if name not in known]
            known |= written_by(action)
    return missing


@pytest.mark.parametrize("env", PROJECT_FILES)
def test_the_project_files_follow_the_toolkits_schema(env: str) -> None:
    require_cli()
    document = project_file(PROJECT_FILES[env])
    schema = CLI_PACKAGE / "resource" / "yaml-schema" / document["version"] / "yaml.schema.json"
    assert schema.exists(), f"the toolkit's CLI knows no schema {document['version']}"
    jsonschema.validate(document, json.loads(schema.read_text()))
    assert (ROOT / "env" / f".env.{env}").exists()
    assert env_file(ROOT / "env" / f".env.{env}")["TEAMSFX_ENV"] == env


@pytest.mark.parametrize("env", PROJECT_FILES)
def test_every_placeholder_has_a_value_when_its_action_runs(env: str) -> None:
    assert unresolved(env) == []


def test_the_check_of_placeholders_sees_a_missing_one(tmp_path: Path) -> None:
    """Without the model's setting in env/.env.dev, Provision's parameters file has an empty placeholder."""
    dev = (ROOT / "env" / ".env.dev").read_text()
    (tmp_path / ".env.dev").write_text(re.sub(r"(?m)^MODEL_PROVIDER=.*$", "MODEL_PROVIDER=", dev))
    assert unresolved("dev", tmp_path) == [("arm/deploy", "MODEL_PROVIDER")]


def test_provision_passes_the_model_provider_the_bot_accepts() -> None:
    provider = env_file(ROOT / "env" / ".env.dev")["MODEL_PROVIDER"]
    allowed = read_bicep(ROOT / "infra" / "azure.bicep")["parameters"]["modelProvider"]["allowedValues"]
    assert provider in allowed


def playground_settings() -> tuple[str, dict[str, str]]:
    """The file F5 on the Playground writes for the bot, and what it writes there."""
    [write] = [action for action in actions("playground", "deploy") if action["uses"].startswith("file/")]
    return write["with"]["target"], {name: str(value) for name, value in write["with"]["envs"].items()}


def test_f5_on_the_playground_needs_no_account_and_no_keys() -> None:
    uses = [action["uses"] for action in actions("playground", "deploy")]
    assert uses == ["devTool/install", "file/createOrUpdateEnvironmentFile"]
    assert not actions("playground", "provision")  # nothing to sign in to
    _, settings = playground_settings()
    assert settings["MicrosoftAppId"] == "" and settings["MicrosoftAppPassword"] == ""
    assert not [name for name in settings if "KEY" in name or "SECRET" in name]
    # The Playground sends the chat where the bot listens.
    playground_env = env_file(ROOT / "env" / ".env.playground")
    assert playground_env["BOT_ENDPOINT"] == f"http://{settings['HOST']}:{settings['PORT']}/api/messages"


def test_f5_on_the_playground_installs_the_playground_the_tests_run() -> None:
    [install] = [action for action in actions("playground", "deploy") if action["uses"] == "devTool/install"]
    pinned = json.loads((ROOT / "tests" / "e2e" / "package.json").read_text())["dependencies"]
    assert str(install["with"]["testTool"]["version"]) == pinned["@microsoft/m365agentsplayground"]


def test_the_debugger_configurations_fit_the_tasks_and_the_files_the_toolkit_writes() -> None:
    launch, tasks = vscode("launch.json"), vscode("tasks.json")
    configurations = {item["name"]: item for item in launch["configurations"]}
    labels = {task["label"] for task in tasks["tasks"]}
    for compound in launch["compounds"]:
        assert set(compound["configurations"]) <= set(configurations), compound["name"]
        assert compound["preLaunchTask"] in labels, compound["name"]
    for task in tasks["tasks"]:
        assert set(task.get("dependsOn", [])) <= labels, task["label"]
        if task.get("type") == "teamsfx" and task["command"] in ("provision", "deploy"):
            assert task["args"]["env"] in PROJECT_FILES, task["label"]
    for configuration in configurations.values():
        ready = configuration.get("serverReadyAction")
        assert not ready or ready["name"] in configurations
    # The Python configurations run the bot with the settings the deploy step writes.
    for env in ("playground", "local"):
        [write] = [action for action in actions(env, "deploy") if action["uses"].startswith("file/")]
        target = write["with"]["target"].removeprefix("./")
        python = [item for item in configurations.values() if item["type"] == "debugpy"]
        assert python and all(item["envFile"] == f"${{workspaceFolder}}/{target}" for item in python)
        assert all(item["program"] == "${workspaceFolder}/app.py" for item in python)
    # The Playground starts from where the deploy step installs it, with its environment.
    [install] = [action for action in actions("playground", "deploy") if action["uses"] == "devTool/install"]
    symlink = install["with"]["testTool"]["symlinkDir"].removeprefix("./")
    playground = configurations["Start Microsoft 365 Agents Playground"]
    assert playground["program"] == f"${{workspaceFolder}}/{symlink}/{PLAYGROUND_CLI}"
    assert playground["envFile"] == "${workspaceFolder}/env/.env.playground"
    port = int(env_file(ROOT / "env" / ".env.playground")["TEAMSAPPTESTER_PORT"])
    [check] = [
        task for task in tasks["tasks"] if task["label"].startswith("Validate prerequisites (Microsoft")
    ]
    assert port in check["args"]["portOccupancy"]


def test_the_bot_starts_keyless_with_the_settings_f5_gives_it(tmp_path: Path) -> None:
    """`python app.py` with what m365agents.playground.yml writes (on a free port): it says it is ready
    in the line the debugger waits for before it starts the Playground, and answers with no keys."""
    _, settings = playground_settings()
    port = free_port()
    process = ManagedProcess("bot", tmp_path / "bot.log")
    process.spawn(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            **settings,
            "PORT": str(port),
            "SQLITE_PATH": str(tmp_path / "state.sqlite3"),
            "PATH": str(Path(sys.executable).parent),
            "PYTHONUNBUFFERED": "1",  # the debugger's terminal shows each line at once
        },
    )
    try:
        [ready] = [item for item in vscode("launch.json")["configurations"] if item.get("serverReadyAction")]
        pattern = re.compile(ready["serverReadyAction"]["pattern"])
        process.wait_until(lambda: bool(pattern.search(process.output())), timeout=30, what="the ready line")
        assert settings["HOST"] == LOOPBACK
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/readyz", timeout=5) as response:
            assert response.status == 200
        log = process.output()
        assert "MicrosoftAppId is not set" in log
        assert "built-in offline model" in log
    finally:
        process.stop()


def test_secrets_and_what_the_toolkit_generates_stay_out_of_git() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0

    for path in (
        "env/.env.dev.user",
        "env/.env.local.user",
        ".env",
        "devTools/playground",
        "appPackage/build/x.zip",
    ):
        assert ignored(path), path
    for env in PROJECT_FILES:
        assert not ignored(f"env/.env.{env}")
        assert not [
            line for line in (ROOT / "env" / f".env.{env}").read_text().splitlines() if "SECRET" in line
        ]


def test_the_schema_check_sees_a_mistake() -> None:
    """The schema is strict: a misspelt key in an action fails it."""
    require_cli()
    document = project_file(PROJECT_FILES["playground"])
    document["deploy"][0]["whith"] = document["deploy"][0].pop("with")
    schema = CLI_PACKAGE / "resource" / "yaml-schema" / document["version"] / "yaml.schema.json"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json.loads(schema.read_text()))
