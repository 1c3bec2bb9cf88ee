"""KNOWLEDGE_DIR and KNOWLEDGE_BASE_URL: read and checked by config.py, wired by the templates, and the
default folder ships with the bot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError, DefaultConfig
from knowledge import KnowledgeSettings

ROOT = Path(__file__).resolve().parents[2]


def test_by_default_the_bot_searches_its_own_documentation() -> None:
    settings = DefaultConfig({}).knowledge
    assert settings == KnowledgeSettings(directory="docs/knowledge", base_url="") and settings.enabled
    shipped = sorted(path.name for path in (ROOT / settings.directory).glob("*.md"))
    assert {"deploying-to-azure.md", "configuring-a-model.md", "commands.md"} <= set(shipped)
    # The container ships it too.
    assert not {"docs", "docs/", "docs/knowledge"} & set((ROOT / ".dockerignore").read_text().split())


def test_a_folder_and_a_base_url_can_be_set_and_an_empty_folder_turns_search_off() -> None:
    settings = DefaultConfig(
        {"KNOWLEDGE_DIR": " /srv/handbook ", "KNOWLEDGE_BASE_URL": "https://example.com/handbook"}
    ).knowledge
    assert settings == KnowledgeSettings(directory="/srv/handbook", base_url="https://example.com/handbook")
    assert not DefaultConfig({"KNOWLEDGE_DIR": ""}).knowledge.enabled


def test_a_base_url_that_is_no_url_stops_the_bot() -> None:
    with pytest.raises(ConfigError, match="KNOWLEDGE_BASE_URL must be an http"):
        DefaultConfig({"KNOWLEDGE_BASE_URL": "github.com/owner/repo"})


def test_the_azure_web_app_searches_the_shipped_folder_and_may_link_citations() -> None:
    template = json.loads((ROOT / "deploymentTemplates" / "template-with-preexisting-rg.json").read_text())
    [site] = [item for item in template["resources"] if item["type"] == "Microsoft.Web/sites"]
    settings = {item["name"]: item["value"] for item in site["properties"]["siteConfig"]["appSettings"]}
    assert settings["KNOWLEDGE_DIR"] == KnowledgeSettings().directory
    assert settings["KNOWLEDGE_BASE_URL"] == "[parameters('knowledgeBaseUrl')]"
    assert template["parameters"]["knowledgeBaseUrl"]["defaultValue"] == ""
