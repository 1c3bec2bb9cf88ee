"""settings: asks for the answer style, custom instructions and creativity; saves them to the profile.

A waterfall of three prompts and a summary. Each prompt asks again on bad input: the choice prompt
when the answer is none of the styles, the text prompt's validator when the instructions are too
long, the number prompt's validator when the temperature is not a number from 0 to 2. Nothing is
saved until the last answer is in, so "cancel" at any step leaves the profile as it was.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, StatePropertyAccessor
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.dialogs.choices import Choice, ListStyle
from botbuilder.dialogs.prompts import (
    ChoicePrompt,
    NumberPrompt,
    PromptValidatorContext,
    TextPrompt,
)
from botbuilder.schema import Activity
from recognizers_text import Culture

from answers.profile import AnswerStyle, UserProfile
from channels import is_group_conversation

from .cancel_and_help_dialog import CancelAndHelpDialog, question
from .turn_changes import TurnChanges
from .user_profile import MAX_INSTRUCTIONS_CHARS, MAX_TEMPERATURE, MIN_TEMPERATURE, describe

STYLE_PROMPT = "settings.style"
INSTRUCTIONS_PROMPT = "settings.instructions"
TEMPERATURE_PROMPT = "settings.temperature"

NO_INSTRUCTIONS = "none"
STYLE_QUESTION = "How should I answer? Pick a style (you can send **cancel** at any step)."
STYLE_RETRY = "Please pick one of the styles: Concise, Balanced or Detailed."
INSTRUCTIONS_QUESTION = (
    "Any instructions I should always follow, such as *Answer in French* or *I'm a beginner*? "
    f"Up to {MAX_INSTRUCTIONS_CHARS} characters, or **{NO_INSTRUCTIONS}**."
)
INSTRUCTIONS_RETRY = (
    f"Please send your instructions in {MAX_INSTRUCTIONS_CHARS} characters or fewer, or **none**."
)
TEMPERATURE_QUESTION = (
    f"How creative should I be? Send a number from {MIN_TEMPERATURE:g} (focused, predictable) "
    f"to {MAX_TEMPERATURE:g} (very creative); 0.7 suits most questions."
)
TEMPERATURE_RETRY = f"Please send a number from {MIN_TEMPERATURE:g} to {MAX_TEMPERATURE:g}, such as 0.7."
SAVED_TEXT = "Saved. From now on I answer like this:\n\n{summary}\n\nSend **settings** to change them."


def instructions_too_long(length: int) -> str:
    return (
        f"That is {length} characters; please keep your instructions to {MAX_INSTRUCTIONS_CHARS} "
        f"or fewer, or send **{NO_INSTRUCTIONS}**."
    )


async def instructions_validator(prompt_context: PromptValidatorContext) -> bool:
    """Accept instructions of 1 to MAX_INSTRUCTIONS_CHARS characters; say how long they were if not."""
    if not prompt_context.recognized.succeeded:
        return False
    length = len(prompt_context.recognized.value.strip())
    if length > MAX_INSTRUCTIONS_CHARS:
        await prompt_context.context.send_activity(MessageFactory.text(instructions_too_long(length)))
        return False  # The prompt sends nothing more: this turn has already replied.
    return length > 0


async def temperature_validator(prompt_context: PromptValidatorContext) -> bool:
    """Accept a number from MIN_TEMPERATURE to MAX_TEMPERATURE."""
    recognized = prompt_context.recognized
    return recognized.succeeded and MIN_TEMPERATURE <= float(recognized.value) <= MAX_TEMPERATURE


class SettingsDialog(CancelAndHelpDialog):
    """Asks for the three settings, shows a summary and saves them to the user's profile."""

    def __init__(self, profile_accessor: StatePropertyAccessor) -> None:
        super().__init__(SettingsDialog.__name__)
        self._profile = profile_accessor
        self.add_dialog(ChoicePrompt(STYLE_PROMPT, default_locale=Culture.English))
        self.add_dialog(TextPrompt(INSTRUCTIONS_PROMPT, instructions_validator))
        self.add_dialog(
            NumberPrompt(TEMPERATURE_PROMPT, temperature_validator, default_locale=Culture.English)
        )
        steps = [self._style_step, self._instructions_step, self._temperature_step, self._summary_step]
        self.add_dialog(WaterfallDialog("settings.steps", steps))
        self.initial_dialog_id = "settings.steps"

    async def _style_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        choices = [Choice(style.label) for style in AnswerStyle]
        return await step.prompt(
            STYLE_PROMPT,
            question(
                STYLE_QUESTION, STYLE_RETRY, choices=choices, style=_choice_style(step.context.activity)
            ),
        )

    async def _instructions_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["style"] = list(AnswerStyle)[step.result.index].value
        return await step.prompt(
            INSTRUCTIONS_PROMPT,
            question(INSTRUCTIONS_QUESTION, INSTRUCTIONS_RETRY),
        )

    async def _temperature_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        instructions = step.result.strip()
        step.values["instructions"] = "" if instructions.lower() == NO_INSTRUCTIONS else instructions
        return await step.prompt(
            TEMPERATURE_PROMPT,
            question(TEMPERATURE_QUESTION, TEMPERATURE_RETRY),
        )

    async def _summary_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        profile: UserProfile = {
            "style": step.values["style"],
            "instructions": step.values["instructions"],
            "temperature": float(step.result),
        }
        await self._profile.set(step.context, profile)
        TurnChanges.of(step.context).save_profile(profile)
        await step.context.send_activity(MessageFactory.text(SAVED_TEXT.format(summary=describe(profile))))
        return await step.end_dialog(profile)


def _choice_style(activity: Activity) -> ListStyle | None:
    """How a prompt lists its choices: in the text in a group, where a button's message would carry
    no @mention and so be ignored; else the prompt's default for the channel (None)."""
    return ListStyle.in_line if is_group_conversation(activity) else None
