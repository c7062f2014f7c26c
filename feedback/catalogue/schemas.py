"""Models of the report catalogue: the extra questions of a category, the seed file, and the API answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from feedback.catalogue.models import CATEGORY_CODE_PATTERN, DEPARTMENT_CODE_PATTERN, NAME_MAX_LENGTH

# Codes of questions and of their options are keys in stored answers and Open311 attributes: keep them stable.
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Key = Annotated[str, Field(pattern=KEY_PATTERN)]
CategoryCode = Annotated[str, Field(pattern=CATEGORY_CODE_PATTERN, examples=["road_damage"])]
DepartmentCode = Annotated[str, Field(pattern=DEPARTMENT_CODE_PATTERN, examples=["SXD"])]


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


class QuestionDatatype(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"


CHOICE_DATATYPES = frozenset({QuestionDatatype.SINGLE_CHOICE, QuestionDatatype.MULTI_CHOICE})


class QuestionOption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    name_vi: Name
    name_en: Name


class Question(BaseModel):
    """An extra question a citizen answers when reporting in the category."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "size",
                    "label_vi": "Kích thước hư hỏng",
                    "label_en": "Size of the damage",
                    "datatype": "single_choice",
                    "required": True,
                    "order": 1,
                    "options": [{"key": "small", "name_vi": "Nhỏ", "name_en": "Small"}],
                }
            ]
        },
    )

    code: Key
    label_vi: Name
    label_en: Name
    datatype: QuestionDatatype
    required: bool = False
    order: int = Field(default=0, ge=0, description="Questions are asked in ascending order.")
    options: list[QuestionOption] | None = Field(
        default=None, description="The choices of a single_choice or multi_choice question; null otherwise."
    )

    @model_validator(mode="after")
    def _options_match_datatype(self) -> Self:
        if self.datatype in CHOICE_DATATYPES:
            if not self.options:
                raise ValueError(f"question {self.code!r} is {self.datatype.value} and needs options")
            if duplicated := _duplicates(option.key for option in self.options):
                raise ValueError(f"question {self.code!r} has duplicate option keys: {', '.join(duplicated)}")
        elif self.options is not None:
            raise ValueError(f"question {self.code!r} is {self.datatype.value} and may not have options")
        return self


def _unique_question_codes(questions: list[Question]) -> list[Question]:
    if duplicated := _duplicates(question.code for question in questions):
        raise ValueError(f"duplicate question codes: {', '.join(duplicated)}")
    return sorted(questions, key=lambda question: (question.order, question.code))


Questions = Annotated[list[Question], AfterValidator(_unique_question_codes)]
QUESTIONS = TypeAdapter(Questions)


# The seed file ---------------------------------------------------------------------------------------------


class DepartmentDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: DepartmentCode
    name_vi: Name
    name_en: Name
    province_code: str = Field(pattern=r"^[0-9]{2}$")
    active: bool = True


class CategoryDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CategoryCode
    name_vi: Name
    name_en: Name
    description_vi: str = ""
    description_en: str = ""
    group: Key
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    default_department_code: DepartmentCode
    sla_acknowledge_working_hours: int = Field(default=8, gt=0, le=24 * 10)
    sla_resolve_working_days: int = Field(gt=0, le=365)
    duplicate_radius_m: int = Field(gt=0, le=5000)
    duplicate_window_days: int = Field(gt=0, le=365)
    questions: Questions = Field(default_factory=list)
    sort_order: int = 0
    active: bool = True


class CatalogueDocument(BaseModel):
    """The departments and categories of a province, as shipped in data/feedback/categories.yaml."""

    model_config = ConfigDict(extra="forbid")

    departments: list[DepartmentDefinition]
    categories: list[CategoryDefinition]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if duplicated := _duplicates(department.code for department in self.departments):
            raise ValueError(f"duplicate department codes: {', '.join(duplicated)}")
        if duplicated := _duplicates(category.code for category in self.categories):
            raise ValueError(f"duplicate category codes: {', '.join(duplicated)}")
        known = {department.code for department in self.departments}
        for category in self.categories:
            if category.default_department_code not in known:
                raise ValueError(
                    f"category {category.code!r} names the unknown department "
                    f"{category.default_department_code!r}"
                )
        return self


# API answers -----------------------------------------------------------------------------------------------


class DepartmentSummary(BaseModel):
    code: str
    name_vi: str
    name_en: str
    province_code: str = Field(description="The province the department serves.")


class CategoryRead(BaseModel):
    """A report category. Both languages are given; the client shows the one it needs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "lighting",
                    "name_vi": "Chiếu sáng công cộng",
                    "name_en": "Street lighting",
                    "description_vi": "Đèn đường hỏng, tắt hoặc sáng cả ngày",
                    "description_en": "Street lights broken, off at night or on all day",
                    "group": "infrastructure",
                    "keywords": ["đèn đường", "street light"],
                    "department": {
                        "code": "SXD",
                        "name_vi": "Sở Xây dựng",
                        "name_en": "Department of Construction",
                        "province_code": "37",
                    },
                    "sla_acknowledge_working_hours": 8,
                    "sla_resolve_working_days": 3,
                    "questions": [],
                    "sort_order": 20,
                }
            ]
        }
    )

    code: str = Field(description="Stable code, also the Open311 service_code.")
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    group: str = Field(description="Heading the category is listed under (the Open311 group).")
    keywords: list[str]
    department: DepartmentSummary = Field(description="The department that handles reports by default.")
    sla_acknowledge_working_hours: int = Field(description="Working hours to acknowledge a report.")
    sla_resolve_working_days: int = Field(description="Working days to resolve a report.")
    questions: list[Question] = Field(description="Extra questions, in the order they are asked.")
    sort_order: int
