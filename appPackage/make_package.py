"""Builds the Teams app package to sideload: `python appPackage/make_package.py --bot-id <MicrosoftAppId>`.

It fills the manifest's placeholders, `${{BOT_ID}}` (the bot's MicrosoftAppId) and `${{TEAMS_APP_ID}}`
(the Teams app's own id: the bot id unless --app-id gives another GUID), checks the result, and writes
appPackage/build/appPackage.zip with manifest.json and the two icons at its root. Upload that zip in
Teams: Apps > Manage your apps > Upload an app > Upload a custom app.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ICONS = ("color.png", "outline.png")


def filled_manifest(bot_id: str, app_id: str | None = None) -> str:
    """manifest.json with its placeholders replaced; raises ValueError for ids that are not GUIDs."""
    app_id = app_id or bot_id
    for name, value in (("bot id", bot_id), ("app id", app_id)):
        if not GUID.match(value):
            raise ValueError(f"the {name} must be a GUID (the app registration's client id), got {value!r}")
    text = (HERE / "manifest.json").read_text()
    text = text.replace("${{BOT_ID}}", bot_id).replace("${{TEAMS_APP_ID}}", app_id)
    if "${{" in text:
        raise ValueError(
            f"manifest.json has a placeholder this script does not fill: {text[text.index('${{') :][:40]}"
        )
    json.loads(text)
    return text


def build(bot_id: str, app_id: str | None = None, output: Path | None = None) -> Path:
    output = output or HERE / "build" / "appPackage.zip"
    output.parent.mkdir(parents=True, exist_ok=True)
    manifest = filled_manifest(bot_id, app_id)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", manifest)
        for icon in ICONS:
            package.write(HERE / icon, icon)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bot-id", required=True, help="the bot's MicrosoftAppId")
    parser.add_argument("--app-id", help="the Teams app id (default: the bot id)")
    parser.add_argument("--output", type=Path, help="where to write the zip")
    args = parser.parse_args(argv)
    try:
        path = build(args.bot_id, args.app_id, args.output)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
