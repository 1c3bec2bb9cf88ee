"""The local Direct Line refuses bad requests with a clear 4xx, as Azure's Direct Line does."""

from __future__ import annotations

import aiohttp
import pytest

from tests.support.directline import DirectLineEmulator

pytestmark = pytest.mark.asyncio(loop_scope="module")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_bad_requests_get_clear_refusals(directline: DirectLineEmulator) -> None:
    base = f"{directline.url}/v3/directline"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/conversations") as response:
            assert response.status == 401
        async with session.post(f"{base}/conversations", headers=bearer("page-token")) as response:
            assert response.status == 201
            started = await response.json()
        token = started["token"]
        activities = f"{base}/conversations/{started['conversationId']}/activities"
        message = {"type": "message", "text": "hi", "from": {"id": "user-1"}}

        async with session.post(activities, json=message, headers=bearer("page-token")) as response:
            assert response.status == 403  # only the conversation's own token
        async with session.post(
            f"{base}/conversations/nope/activities", json=message, headers=bearer(token)
        ) as r:
            assert r.status == 404
        not_json = {**bearer(token), "Content-Type": "application/json"}
        async with session.post(activities, data=b"{not json", headers=not_json) as response:
            assert response.status == 400
        for body in (["a list"], {"text": "no type"}):
            async with session.post(activities, json=body, headers=bearer(token)) as response:
                assert response.status == 400, body
        update = f"{directline.url}/v3/conversations/{started['conversationId']}/activities/unknown-id"
        async with session.put(update, json=message) as response:
            assert response.status == 404
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(started["streamUrl"].replace(f"t={token}", "t=wrong"))
        assert refused.value.status == 403
    # Nothing refused reached the page: the conversation holds only the bot's welcome.
    sent = directline.conversations[started["conversationId"]].activities
    assert sent and all(activity["from"]["role"] == "bot" for activity in sent)
