"""appPackage/: a Teams app manifest (schema v1.17) with the fields Teams requires, and its two icons."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from dialogs.commands import recognize_command

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "appPackage"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
BOT_ID = "6a1f2c3d-4b5e-4f60-8a7b-9c0d1e2f3a4b"
# What the v1.17 schema requires at the top level, of the developer, name, description, icons and bots.
REQUIRED = ["manifestVersion", "version", "id", "developer", "name", "description", "icons", "accentColor"]
SCOPES = {"personal", "team", "groupChat"}


def manifest() -> dict[str, Any]:
    return json.loads((PACKAGE / "manifest.json").read_text())


def test_the_manifest_has_every_required_field_within_its_limits() -> None:
    m = manifest()
    assert m["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{m['manifestVersion']}/MicrosoftTeams.schema.json"
    )
    assert m["manifestVersion"] == "1.17"
    assert not [field for field in REQUIRED if field not in m]
    assert re.fullmatch(r"\d+\.\d+\.\d+", m["version"])
    assert m["id"] == "${{TEAMS_APP_ID}}"  # make_package.py fills it with a GUID
    developer = m["developer"]
    assert {"name", "websiteUrl", "privacyUrl", "termsOfUseUrl"} <= set(developer)
    assert len(developer["name"]) <= 32
    assert all(developer[url].startswith("https://") for url in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert (
        {"short", "full"} <= set(m["name"])
        and len(m["name"]["short"]) <= 30
        and len(m["name"]["full"]) <= 100
    )
    description = m["description"]
    assert len(description["short"]) <= 80 and len(description["full"]) <= 4000
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", m["accentColor"])


def test_the_bot_talks_in_every_scope_takes_no_files_and_lists_its_commands() -> None:
    [bot] = manifest()["bots"]
    assert bot["botId"] == "${{BOT_ID}}"  # make_package.py fills it with MicrosoftAppId
    assert set(bot["scopes"]) == SCOPES
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    assert len(bot["commandLists"]) <= 3
    titles = []
    for command_list in bot["commandLists"]:
        assert set(command_list["scopes"]) <= SCOPES and command_list["commands"]
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
            titles.append(command["title"])
    assert {"help", "settings", "reset"} <= set(titles)


def test_the_prompt_starters_are_commands_the_bot_understands() -> None:
    """Teams sends a command's title as the message: each must be one of the bot's commands."""
    [bot] = manifest()["bots"]
    for command_list in bot["commandLists"]:
        for command in command_list["commands"]:
            assert recognize_command(command["title"]) is not None, command["title"]


def read_png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Width, height, colour type and the unfiltered rows of an 8-bit, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    position, chunks = 8, {}
    idat = b""
    while position < len(data):
        [length] = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IDAT":
            idat += body
        chunks.setdefault(kind, body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and interlace == 0
    channels = {6: 4, 2: 3}[colour]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[x] = (line[x] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, colour, rows


def test_the_icons_are_pngs_of_the_sizes_teams_asks_for() -> None:
    width, height, _, _ = read_png(PACKAGE / "color.png")
    assert (width, height) == (192, 192)
    width, height, colour, rows = read_png(PACKAGE / "outline.png")
    assert (width, height, colour) == (32, 32, 6)  # RGBA: a transparent background
    pixels = [row[x : x + 4] for row in rows for x in range(0, len(row), 4)]
    visible = [pixel for pixel in pixels if pixel[3]]
    assert visible and len(visible) < len(pixels)
    assert all(pixel[:3] == b"\xff\xff\xff" for pixel in visible), "the outline icon must be white"


def test_make_package_builds_a_zip_teams_can_sideload(tmp_path: Path) -> None:
    output = tmp_path / "appPackage.zip"
    result = subprocess.run(
        [sys.executable, "appPackage/make_package.py", "--bot-id", BOT_ID, "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        filled = json.loads(package.read("manifest.json"))
    assert filled["id"] == BOT_ID and filled["bots"][0]["botId"] == BOT_ID
    assert GUID.match(filled["id"])
    assert "${{" not in json.dumps(filled)


@pytest.mark.parametrize("bot_id", ["", "not-a-guid", "${{BOT_ID}}"])
def test_make_package_refuses_an_id_that_is_not_a_guid(bot_id: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "appPackage/make_package.py",
            "--bot-id",
            bot_id,
            "--output",
            str(tmp_path / "x.zip"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "must be a GUID" in result.stderr
