"""Documents split into passages: sections at headings, bounded sizes, nothing lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.passages import MAX_PASSAGE_CHARS, split_document

GUIDE = """---
title: ignored front matter
---
An introduction before any heading.

# Deploying the bot

Short overview under the title.

## Register the identity

Create an app registration.

```bash
# not a heading: a comment in a code block

az ad app create
```

### Secrets

Keep the secret in Key Vault.

## Deploy the code

Zip and upload.

## Deploy the code

The same heading again.
"""


def test_sections_keep_their_title_headings_and_anchors() -> None:
    passages = split_document("guides/deploy.md", GUIDE)
    assert [(p.title, p.headings, p.anchor) for p in passages] == [
        ("Deploying the bot", (), ""),
        ("Deploying the bot", (), "deploying-the-bot"),
        ("Deploying the bot", ("Register the identity",), "register-the-identity"),
        ("Deploying the bot", ("Register the identity", "Secrets"), "secrets"),
        ("Deploying the bot", ("Deploy the code",), "deploy-the-code"),
        ("Deploying the bot", ("Deploy the code",), "deploy-the-code-1"),
    ]
    assert passages[0].text == "An introduction before any heading."
    assert "front matter" not in " ".join(p.text for p in passages)
    # The code block stays whole, its comment with it, and is no heading.
    assert passages[2].text == (
        "Create an app registration.\n\n"
        "```bash\n# not a heading: a comment in a code block\n\naz ad app create\n```"
    )
    assert passages[3].heading == "Secrets" and passages[0].heading == ""
    assert {p.path for p in passages} == {"guides/deploy.md"}


def test_headings_lose_their_markdown_and_anchors_their_punctuation() -> None:
    [passage] = split_document("a.md", "# Title\n\n## Use `KNOWLEDGE_DIR`, *then* [restart](x.md)!\n\nText.")
    assert passage.heading == "Use KNOWLEDGE_DIR, then restart!"
    assert passage.anchor == "use-knowledge_dir-then-restart"


def test_a_text_file_is_titled_after_its_name_and_has_no_headings() -> None:
    passages = split_document("notes/release-notes_2024.txt", "# not a heading\n\nSecond paragraph.")
    assert [(p.title, p.headings, p.text) for p in passages] == [
        ("Release notes 2024", (), "# not a heading\n\nSecond paragraph.")
    ]


def test_a_markdown_file_without_a_title_is_titled_after_its_name() -> None:
    [passage] = split_document("running-several-instances.md", "## Storage\n\nShare it.")
    assert (passage.title, passage.heading) == ("Running several instances", "Storage")


def test_paragraphs_are_packed_into_passages_of_at_most_the_limit() -> None:
    paragraph = ("word " * 100).strip()  # 499 characters
    passages = split_document("a.md", "# T\n\n" + "\n\n".join([paragraph] * 7))
    assert [len(p.text) for p in passages] == [1000, 1000, 1000, 499]
    assert all(p.text.count("\n\n") <= 1 for p in passages)


def test_a_block_longer_than_the_limit_is_cut_at_lines_then_words_then_anywhere() -> None:
    lines = "\n".join(f"line {n} " + "x" * 90 for n in range(30))
    passages = split_document("a.md", lines)
    assert all(p.text.startswith("line ") for p in passages)  # cut at line ends
    unbroken = "y" * (MAX_PASSAGE_CHARS * 2 + 5)
    assert [len(p.text) for p in split_document("b.md", unbroken)] == [
        MAX_PASSAGE_CHARS,
        MAX_PASSAGE_CHARS,
        5,
    ]


def non_whitespace(text: str) -> str:
    return "".join(text.split())


WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc")), max_size=1500)
SPACES = st.sampled_from([" ", "\n", "\n\n", "\t", "  \n  \n", "```\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(WORDS, SPACES), max_size=80).map("".join))
def test_any_text_file_becomes_bounded_passages_that_lose_no_character(text: str) -> None:
    passages = split_document("any.txt", text)
    assert all(0 < len(p.text) <= MAX_PASSAGE_CHARS and p.text.strip() for p in passages)
    assert non_whitespace("".join(p.text for p in passages)) == non_whitespace(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["# Title", "## Section", "### Sub", "```", "~~~", "", "---", "- item"]),
            WORDS,
        ),
        max_size=60,
    )
)
def test_any_markdown_becomes_bounded_passages(lines: list[str]) -> None:
    passages = split_document("any.md", "\n".join(lines))
    assert all(0 < len(p.text) <= MAX_PASSAGE_CHARS and p.text.strip() for p in passages)
    assert all(p.title for p in passages)
