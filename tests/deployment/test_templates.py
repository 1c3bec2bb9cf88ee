"""deploymentTemplates/: well-formed ARM templates that wire every setting the bot reads."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import AUTH_ENDPOINT_DEFAULTS, DefaultConfig

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "deploymentTemplates"
NEW_RG = "template-with-new-rg.json"
PREEXISTING_RG = "template-with-preexisting-rg.json"

# Settings config.py reads that the templates deliberately do not set, and why.
LOCAL_ONLY = {
    # startup.sh binds 0.0.0.0 unless HOST is set: App Service must reach the app from outside.
    "HOST",
    # The offline model's pace: it exists to try the bot without a model, not to serve users.
    "OFFLINE_MODEL_TOKENS_PER_SECOND",
    # A short-lived Entra token cannot live in an app setting; deployments use AZURE_OPENAI_API_KEY.
    "AZURE_OPENAI_AD_TOKEN",
    # The SDK's authentication endpoints: unset means the public Azure cloud's, which Azure Bot uses.
    # They exist for private clouds and for the tests' own token issuer.
    *AUTH_ENDPOINT_DEFAULTS,
    # OTLP export goes to a collector the operator runs, usually with headers (OTEL_EXPORTER_OTLP_HEADERS)
    # for its credentials: added in the portal when wanted. Azure's own is Application Insights, wired.
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    # The notification API stays off (404) until an operator chooses a key for the services that will
    # call it: added in the portal, as an app setting, when wanted.
    "NOTIFY_API_KEY",
    "NOTIFY_CONCURRENCY",
}
READ_METHODS = {"text", "number", "integer", "choice", "url"}


def settings_config_reads() -> set[str]:
    """Every environment variable name config.py reads: the first argument of read.text/number/... calls.

    A read whose name is not a literal must loop over AUTH_ENDPOINT_DEFAULTS, whose keys count instead.
    """
    names: set[str] = set()
    tree = ast.parse((ROOT / "config.py").read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "read"
            and node.func.attr in READ_METHODS
        ):
            [first, *_] = node.args
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
            else:
                assert ast.unparse(first) == "name", f"an unexpected dynamic read: {ast.unparse(node)}"
                names.update(AUTH_ENDPOINT_DEFAULTS)
    return names


def load(name: str) -> dict[str, Any]:
    return json.loads((TEMPLATES / name).read_text())


def strings(value: Any, *, skip_inner_templates: bool = True) -> Iterator[str]:
    """Every string in `value`, leaving out nested templates that have their own scope."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, skip_inner_templates=skip_inner_templates)
    elif isinstance(value, dict):
        inner_scope = value.get("expressionEvaluationOptions", {}).get("scope") == "inner"
        for key, item in value.items():
            if key == "template" and inner_scope and skip_inner_templates:
                continue
            yield from strings(item, skip_inner_templates=skip_inner_templates)


def used(template: dict[str, Any], function: str) -> set[str]:
    body = {key: value for key, value in template.items() if key not in ("parameters", "$schema")}
    found: set[str] = set()
    for text in strings(body):
        found.update(re.findall(rf"\b{function}\('([^']+)'\)", text))
    # Parameter defaults may use other functions (and, in ARM, no parameters).
    for spec in template.get("parameters", {}).values():
        for text in strings(spec.get("defaultValue", "")):
            found.update(re.findall(rf"\b{function}\('([^']+)'\)", text))
    return found


def scopes(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The template and every nested inner-scope template in it."""
    yield template
    for resource in template.get("resources", []):
        properties = resource.get("properties", {})
        if properties.get("expressionEvaluationOptions", {}).get("scope") == "inner":
            yield from scopes(properties["template"])


def resources_of(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource for scope in scopes(template) for resource in scope.get("resources", [])]


def resource(template: dict[str, Any], kind: str) -> dict[str, Any]:
    [found] = [item for item in resources_of(template) if item["type"] == kind and "condition" not in item]
    return found


def test_the_files_are_what_generate_py_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", TEMPLATES / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    for name, document in generate.files().items():
        assert (TEMPLATES / name).read_text() == generate.render(document), (
            f"run deploymentTemplates/generate.py ({name})"
        )


@pytest.mark.parametrize("name", [NEW_RG, PREEXISTING_RG])
def test_templates_are_well_formed(name: str) -> None:
    template = load(name)
    assert template["$schema"].startswith("https://schema.management.azure.com/schemas/")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", template["contentVersion"])
    assert template["resources"]
    for scope in scopes(template):
        declared_parameters = set(scope.get("parameters", {}))
        declared_variables = set(scope.get("variables", {}))
        assert used(scope, "parameters") <= declared_parameters, "a parameter is used but not declared"
        assert declared_parameters <= used(scope, "parameters"), "a parameter is declared but not used"
        assert used(scope, "variables") <= declared_variables, "a variable is used but not declared"
        for spec in scope.get("parameters", {}).values():
            assert spec["type"] in {
                "string",
                "securestring",
                "int",
                "bool",
                "object",
                "array",
                "secureObject",
            }
            assert spec.get("metadata", {}).get("description")
            if "allowedValues" in spec and "defaultValue" in spec:
                assert spec["defaultValue"] in spec["allowedValues"]
        for item in scope["resources"]:
            assert {"type", "apiVersion", "name"} <= set(item)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", item["apiVersion"])
    for text in strings(template, skip_inner_templates=False):
        if text.startswith("["):
            assert text.endswith("]") and text.count("(") == text.count(")"), text


def test_a_new_resource_group_gets_the_same_resources_as_a_preexisting_one() -> None:
    new_rg, preexisting = load(NEW_RG), load(PREEXISTING_RG)
    assert new_rg["$schema"].endswith("subscriptionDeploymentTemplate.json#")
    deployment = next(
        item for item in new_rg["resources"] if item["type"] == "Microsoft.Resources/deployments"
    )
    assert deployment["properties"]["template"] == preexisting
    # Every parameter the inner template declares without a default is passed in.
    inner_parameters = preexisting["parameters"]
    passed = deployment["properties"]["parameters"]
    assert {name for name, spec in inner_parameters.items() if "defaultValue" not in spec} <= set(passed)
    assert set(passed) <= set(inner_parameters)


@pytest.mark.parametrize("name", [NEW_RG, PREEXISTING_RG])
def test_parameter_files_name_only_declared_parameters_and_all_required_ones(name: str) -> None:
    template = load(name)
    values = load(f"parameters-for-{name}")
    assert values["$schema"].endswith("deploymentParameters.json#")
    declared = template["parameters"]
    assert set(values["parameters"]) <= set(declared)
    required = {parameter for parameter, spec in declared.items() if "defaultValue" not in spec}
    assert required <= set(values["parameters"])


def app_settings() -> dict[str, str]:
    site = resource(load(PREEXISTING_RG), "Microsoft.Web/sites")
    settings = site["properties"]["siteConfig"]["appSettings"]
    names = [setting["name"] for setting in settings]
    assert len(names) == len(set(names)), "an app setting is set twice"
    return {setting["name"]: setting["value"] for setting in settings}


def test_every_setting_the_bot_reads_is_wired_or_listed_as_local_only() -> None:
    reads = settings_config_reads()
    assert {"MicrosoftAppId", "STORAGE", "PORT"} <= reads  # the parser finds them
    wired = set(app_settings())
    missing = reads - wired - LOCAL_ONLY
    assert not missing, f"settings neither in the templates' appSettings nor in LOCAL_ONLY: {sorted(missing)}"
    assert not (LOCAL_ONLY & wired), "a setting is both wired and listed as local-only"
    assert not (LOCAL_ONLY - reads), "LOCAL_ONLY names a setting config.py no longer reads"


def test_settings_set_to_a_literal_keep_the_bots_default() -> None:
    """Tuning settings are in the template so operators see them; they must not change behaviour."""
    defaults = vars(DefaultConfig({}))
    platform = {"SCM_DO_BUILD_DURING_DEPLOYMENT", "PORT", "SQLITE_PATH", "BLOB_CONTAINER"}
    for name, value in app_settings().items():
        if value.startswith("[") or name in platform:
            continue
        assert vars(DefaultConfig({name: value})) == defaults, name


def test_the_web_app_runs_the_tested_start_command_on_the_tested_python() -> None:
    site = resource(load(PREEXISTING_RG), "Microsoft.Web/sites")
    config = site["properties"]["siteConfig"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    [version] = re.findall(r"^FROM python:(\d+\.\d+)-", dockerfile, re.MULTILINE)
    assert config["linuxFxVersion"] == f"PYTHON|{version}"
    assert (
        json.loads(re.search(r"^CMD\s+(\[.*\])$", dockerfile, re.MULTILINE).group(1))
        == config["appCommandLine"].split()
    )
    assert config["healthCheckPath"] == "/healthz"
    assert site["properties"]["httpsOnly"] is True
    plan = resource(load(PREEXISTING_RG), "Microsoft.Web/serverfarms")
    assert plan["kind"] == "linux" and plan["properties"]["reserved"] is True


def test_the_azure_bot_points_at_the_web_app_with_teams_and_web_chat() -> None:
    template = load(PREEXISTING_RG)
    bot = resource(template, "Microsoft.BotService/botServices")
    assert bot["kind"] == "azurebot" and bot["location"] == "global"
    properties = bot["properties"]
    assert template["variables"][properties["endpoint"][len("[variables('") : -len("')]")]] == (
        "[format('https://{0}.azurewebsites.net/api/messages', parameters('webAppName'))]"
    )
    assert {"msaAppId", "msaAppType", "msaAppTenantId"} <= set(properties)
    channels = {
        item["properties"]["channelName"]
        for item in resources_of(template)
        if item["type"] == "Microsoft.BotService/botServices/channels"
    }
    assert channels == {"MsTeamsChannel", "WebChatChannel"}
    # The bot's identity reaches both the Azure Bot and the web app.
    settings = app_settings()
    assert settings["MicrosoftAppId"] == properties["msaAppId"]
    assert settings["MicrosoftAppType"] == properties["msaAppType"]
    assert settings["MicrosoftAppTenantId"] == properties["msaAppTenantId"]


def test_secrets_are_secure_parameters() -> None:
    declared = load(PREEXISTING_RG)["parameters"]
    settings = app_settings()
    for name in (
        "MicrosoftAppPassword",
        "AZURE_OPENAI_API_KEY",
        "OPENAI_API_KEY",
        "REDIS_URL",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "MCP_SERVERS",
    ):
        [parameter] = re.findall(r"parameters\('([^']+)'\)", settings[name])
        assert declared[parameter]["type"] == "securestring", name
    assert "listKeys(" in settings["BLOB_CONNECTION_STRING"]  # never a literal key
