"""With no model configured, the bot still shows its knowledge search: the offline model searches for
the question and streams the passages found, cited as each channel shows citations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import KNOWLEDGE
from knowledge.knowledge_tool import KnowledgeTool
from llm.offline_model import offline_answer
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector, ai_field_problems, is_final

POLICY = """# Travel policy

## Hotels

Hotels cost at most 180 euros a night, 250 in Paris and London. Keep the receipt.

## Claiming expenses

Submit receipts within thirty days in the expenses portal; finance pays within ten working days.
"""


@pytest.fixture
async def offline_bot(start_bot: StartBot, tmp_path: Path) -> BotClient:
    """The bot as a fresh clone runs it, its own knowledge search over one document, at a quick pace."""
    (tmp_path / "travel-policy.md").write_text(POLICY)
    env = {
        "MODEL_PROVIDER": "offline",
        "OFFLINE_MODEL_TOKENS_PER_SECOND": "400",
        "KNOWLEDGE_DIR": str(tmp_path),
    }
    bot = await start_bot(env, tools=None)
    await bot.app[KNOWLEDGE].wait_ready()
    return bot


async def test_teams_gets_the_search_status_then_the_passages_found_cited_and_labelled(
    offline_bot: BotClient, connector: RecordingConnector
) -> None:
    await offline_bot.post_activity(user_message("What does a hotel in Paris cost?", connector.url))
    [answer] = await connector.wait_for_answers()

    shown = [(item.stream_info or {}).get("streamType") for item in connector.accepted()]
    texts = [item.activity.get("text") for item in connector.accepted()]
    assert shown[:2] == ["informative", "informative"] and texts[1] == KnowledgeTool.status
    # Teams takes informative updates only before the answer's text: the status comes first.
    assert shown == sorted(shown, key=["informative", "streaming", "final"].index)
    assert answer.startswith("**No language model is configured**")
    assert (
        "**Travel policy: Hotels**: Hotels cost at most 180 euros a night, 250 in Paris and London." in answer
    )
    [final] = [item for item in connector.received if is_final(item)]
    assert ai_field_problems(final.activity) == []
    claims = (final.message_entity or {})["citation"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert {claim["position"] for claim in claims} == markers and 1 in markers
    assert claims[0]["appearance"]["name"] == "Travel policy: Hotels"
    assert final.message_entity["additionalType"] == ["AIGeneratedContent"]


async def test_the_emulator_gets_the_sources_listed_under_the_answer(
    offline_bot: BotClient, connector: RecordingConnector
) -> None:
    question = user_message(
        "How do I claim expenses?", connector.url, channel_id="emulator", conversation_type=None
    )
    await offline_bot.post_activity(question)
    [answer] = await connector.wait_for_answers()

    assert "[1]" in answer
    sources = answer[answer.rindex("Sources:") :]
    assert "- [1] Travel policy: Claiming expenses" in sources


async def test_a_question_the_documents_do_not_answer_gets_the_fixed_answer(
    offline_bot: BotClient, connector: RecordingConnector
) -> None:
    await offline_bot.post_activity(user_message("hello", connector.url))
    assert await connector.wait_for_answers() == [offline_answer("hello")]
    [final] = [item for item in connector.received if is_final(item)]
    assert "citation" not in (final.message_entity or {})


async def test_without_a_knowledge_folder_nothing_is_searched(
    start_bot: StartBot, connector: RecordingConnector
) -> None:
    env = {"MODEL_PROVIDER": "offline", "OFFLINE_MODEL_TOKENS_PER_SECOND": "400", "KNOWLEDGE_DIR": ""}
    bot = await start_bot(env, tools=None)
    await bot.post_activity(user_message("What does a hotel in Paris cost?", connector.url))
    assert await connector.wait_for_answers() == [offline_answer("What does a hotel in Paris cost?")]
    assert KnowledgeTool.status not in [item.activity.get("text") for item in connector.accepted()]
    assert KNOWLEDGE not in bot.app


async def test_readyz_reports_the_knowledge_base(offline_bot: BotClient, tmp_path: Path) -> None:
    async with offline_bot.session.get(f"{offline_bot.url}/readyz") as response:
        body = await response.json()
    assert response.status == 200
    assert body["knowledge"] == {"ready": True, "passages": 2, "folder": str(tmp_path)}
