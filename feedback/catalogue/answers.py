"""Checking a citizen's answers against the extra questions of a category.

Every problem is collected rather than stopping at the first, so that a phone can mark all the wrong fields
at once. Answers are stored normalised: text stripped, empty optional text dropped, numbers as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import Message, ProblemError
from feedback.catalogue.schemas import Question, QuestionDatatype

TEXT_ANSWER_MAX_LENGTH = 500

_PROBLEMS: dict[str, Message] = {
    "unknown_question": Message("Câu hỏi không thuộc loại phản ánh này", "Not a question of this category"),
    "required": Message("Câu hỏi bắt buộc chưa được trả lời", "This question must be answered"),
    "not_text": Message("Câu trả lời phải là văn bản", "The answer must be text"),
    "invalid_character": Message(
        "Câu trả lời chứa ký tự không hợp lệ", "The answer holds an invalid character"
    ),
    "text_too_long": Message(
        f"Câu trả lời dài quá {TEXT_ANSWER_MAX_LENGTH} ký tự",
        f"The answer is longer than {TEXT_ANSWER_MAX_LENGTH} characters",
    ),
    "not_a_number": Message("Câu trả lời phải là một số", "The answer must be a number"),
    "unknown_option": Message("Lựa chọn không có trong danh sách", "Not one of the options"),
    "not_a_list": Message("Câu trả lời phải là danh sách lựa chọn", "The answer must be a list of options"),
    "empty_choice": Message("Cần chọn ít nhất một lựa chọn", "Choose at least one option"),
    "duplicate_option": Message("Một lựa chọn bị lặp lại", "An option is given twice"),
}


class _InvalidError(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        raise _InvalidError("not_text")
    if "\x00" in value:
        # PostgreSQL cannot store U+0000 in jsonb.
        raise _InvalidError("invalid_character")
    stripped = value.strip()
    if len(stripped) > TEXT_ANSWER_MAX_LENGTH:
        raise _InvalidError("text_too_long")
    return stripped or None


def _number(value: Any) -> int | float:
    # bool is an int in Python, but true is not a number of lanes.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _InvalidError("not_a_number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _InvalidError("not_a_number")
    return value


def _single(value: Any, keys: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in keys:
        raise _InvalidError("unknown_option")
    return value


def _multi(value: Any, keys: frozenset[str]) -> list[str]:
    if not isinstance(value, list):
        raise _InvalidError("not_a_list")
    if not value:
        raise _InvalidError("empty_choice")
    if any(not isinstance(item, str) or item not in keys for item in value):
        raise _InvalidError("unknown_option")
    if len(set(value)) != len(value):
        raise _InvalidError("duplicate_option")
    return list(value)


def _answer(question: Question, value: Any) -> Any:
    """The normalised answer, None when it amounts to no answer; raises _InvalidError."""
    if value is None:
        return None
    keys = frozenset(option.key for option in question.options or ())
    match question.datatype:
        case QuestionDatatype.TEXT:
            return _text(value)
        case QuestionDatatype.NUMBER:
            return _number(value)
        case QuestionDatatype.SINGLE_CHOICE:
            return _single(value, keys)
        case QuestionDatatype.MULTI_CHOICE:
            return _multi(value, keys)


def answer_errors(
    questions: Sequence[Question], answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The normalised answers and the list of problems ({question_code, problem, message})."""
    known = {question.code: question for question in questions}
    errors: list[dict[str, str]] = []

    def fail(code: str, problem: str) -> None:
        message = _PROBLEMS[problem]
        errors.append(
            {"question_code": code, "problem": problem, "message_vi": message.vi, "message_en": message.en}
        )

    for code in sorted(set(answers) - set(known)):
        fail(code, "unknown_question")
    normalised: dict[str, Any] = {}
    for question in questions:
        try:
            value = _answer(question, answers.get(question.code))
        except _InvalidError as invalid:
            fail(question.code, invalid.problem)
            continue
        if value is None:
            if question.required:
                fail(question.code, "required")
        else:
            normalised[question.code] = value
    return normalised, errors


def validate_answers(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers, normalised; 422 invalid_answers listing each question and its problem otherwise."""
    normalised, errors = answer_errors(questions, answers)
    if errors:
        raise ProblemError(
            422,
            "invalid_answers",
            Message(
                "Một số câu trả lời không hợp lệ, xem danh sách errors",
                "Some answers are not valid, see errors",
            ),
            extensions={"errors": errors},
        )
    return normalised
