"""infra/azure.bicep (the Agents Toolkit's Provision) creates what deploymentTemplates/ (for `az`) creates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.deployment.bicep_template import UnsupportedBicep, read_bicep

ROOT = Path(__file__).resolve().parents[2]
BICEP = ROOT / "infra" / "azure.bicep"
BICEP_PARAMETERS = ROOT / "infra" / "azure.parameters.json"
ARM = ROOT / "deploymentTemplates" / "template-with-preexisting-rg.json"
#: Outputs the toolkit needs (it writes each to the environment's file under its name): Deploy's target.
TOOLKIT_OUTPUTS = {"BOT_AZURE_APP_SERVICE_RESOURCE_ID", "BOT_DOMAIN"}


@pytest.fixture(scope="module")
def bicep() -> dict[str, Any]:
    return read_bicep(BICEP)


@pytest.fixture(scope="module")
def arm() -> dict[str, Any]:
    return json.loads(ARM.read_text())


def by_type_and_name(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    resources = {(item["type"], item["name"]): item for item in template["resources"]}
    assert len(resources) == len(template["resources"]), "two resources with one type and name"
    return resources


def test_the_bicep_takes_the_same_parameters_with_the_same_defaults(
    bicep: dict[str, Any], arm: dict[str, Any]
) -> None:
    assert list(bicep["parameters"]) == list(arm["parameters"])
    for name, spec in arm["parameters"].items():
        assert bicep["parameters"][name] == spec, name
    assert bicep["variables"] == arm["variables"]


def test_the_bicep_creates_the_same_resources_with_the_same_settings(
    bicep: dict[str, Any], arm: dict[str, Any]
) -> None:
    ours, theirs = by_type_and_name(bicep), by_type_and_name(arm)
    assert set(ours) == set(theirs)
    for key, resource in theirs.items():
        assert ours[key] == resource, f"{key} differs between infra/azure.bicep and {ARM.name}"


def test_the_web_apps_settings_are_the_same_in_the_same_order(
    bicep: dict[str, Any], arm: dict[str, Any]
) -> None:
    """The settings the bot reads (tests/deployment/test_templates.py checks the ARM ones are complete)."""

    def settings(template: dict[str, Any]) -> list[tuple[str, Any]]:
        [site] = [item for item in template["resources"] if item["type"] == "Microsoft.Web/sites"]
        return [(item["name"], item["value"]) for item in site["properties"]["siteConfig"]["appSettings"]]

    assert settings(bicep) == settings(arm)
    assert len(settings(bicep)) > 40


def test_the_bicep_has_the_arm_outputs_and_the_toolkits(bicep: dict[str, Any], arm: dict[str, Any]) -> None:
    assert {name: bicep["outputs"][name] for name in arm["outputs"]} == arm["outputs"]
    assert set(bicep["outputs"]) - set(arm["outputs"]) == TOOLKIT_OUTPUTS
    site_id = "[resourceId('Microsoft.Web/sites', parameters('webAppName'))]"
    assert bicep["outputs"]["BOT_AZURE_APP_SERVICE_RESOURCE_ID"]["value"] == site_id
    assert bicep["outputs"]["BOT_DOMAIN"] == arm["outputs"]["webAppHostName"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("value: '0.7'", "value: '0.8'"),  # a tuning setting
        ("value: openAIApiKey", "value: azureOpenAIApiKey"),  # a setting from another parameter
        ("'Microsoft.Web/sites@2022-09-01'", "'Microsoft.Web/sites@2023-01-01'"),  # an API version
        ("      http20Enabled: true\n", ""),  # a site setting left out
        ("  dependsOn: [\n    webApp\n  ]\n", ""),  # an ordering left out
        ("@secure()\nparam openAIApiKey", "param openAIApiKey"),  # a secret no longer secure
        ("var isMsi = appType == 'UserAssignedMSI'", "var isMsi = appType == 'SingleTenant'"),
        (
            "'https://${webAppName}.azurewebsites.net/api/messages'",
            "'https://${botId}.azurewebsites.net/api/messages'",
        ),
    ],
)
def test_a_difference_is_noticed(before: str, after: str, tmp_path: Path, arm: dict[str, Any]) -> None:
    """The comparison reads what matters: each of these edits of the Bicep makes it differ from the ARM."""
    source = BICEP.read_text()
    assert source.count(before) == 1, before
    changed = tmp_path / "azure.bicep"
    changed.write_text(source.replace(before, after))
    template = read_bicep(changed)
    assert (template["parameters"], template["variables"], by_type_and_name(template)) != (
        arm["parameters"],
        arm["variables"],
        by_type_and_name(arm),
    )


@pytest.mark.parametrize(
    "source",
    [
        "param name string = toLower('A')",  # a function the reader does not know
        "var doubled = 2 * 3",  # an operator it does not know
        "param broken string = ",  # not Bicep at all
        "resource site 'Microsoft.Web/sites@2022-09-01' = {\n  name: 'a'\n}\noutput id string = site.name",
    ],
)
def test_what_the_reader_cannot_translate_fails_loudly(source: str, tmp_path: Path) -> None:
    path = tmp_path / "azure.bicep"
    path.write_text(source + "\n")
    with pytest.raises(UnsupportedBicep):
        read_bicep(path)


def test_the_parameters_file_sets_declared_parameters_and_every_required_one(bicep: dict[str, Any]) -> None:
    values = json.loads(BICEP_PARAMETERS.read_text())
    assert values["$schema"].endswith("deploymentParameters.json#")
    declared = bicep["parameters"]
    assert set(values["parameters"]) <= set(declared)
    required = {name for name, spec in declared.items() if "defaultValue" not in spec}
    assert required <= set(values["parameters"])
    for name, value in values["parameters"].items():
        allowed = declared[name].get("allowedValues")
        if allowed and not re.fullmatch(r"\$\{\{\w+\}\}", value["value"]):
            assert value["value"] in allowed, name
