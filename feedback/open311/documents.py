"""The report catalogue as Open311 GeoReport v2 documents: discovery, service list and service definitions.

Field names, value spellings and shapes follow http://wiki.open311.org/GeoReport_v2 exactly, so that clients
written for other cities work unchanged. Open311 has no language field: the texts are given in the language
the caller picks with Accept-Language (Vietnamese by default).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from core.errors import Language, Message
from feedback.catalogue.schemas import CHOICE_DATATYPES, CategoryRead, Question, QuestionDatatype

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
BASE_PATH = "/open311/v2"
# When the endpoints this server offers last changed: a release date, not a data timestamp. Change it with
# the endpoints so that clients that cache the discovery document know to read it again.
# 18:00 on 22 November 2026: service requests, tokens and servicerequestupdates were added.
CHANGESET = datetime(2026, 11, 22, 18, 0, tzinfo=timezone(timedelta(hours=7)))
CONTACT = Message(
    "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh",
    "Provincial smart-city operations centre",
)
KEY_SERVICE = Message(
    "Các dịch vụ đọc không cần khóa; khóa API để gửi phản ánh do Trung tâm Giám sát, điều hành cấp.",
    "Reading needs no key; API keys for submitting reports are issued by the operations centre.",
)


class Format(StrEnum):
    """The file suffix that selects the representation; the spec requires XML and allows JSON."""

    JSON = "json"
    XML = "xml"


# The media types each format is sent as; discovery lists them without the charset, as the spec does.
JSON_MEDIA_TYPE = "application/json"
# text/xml rather than application/xml: it is the type the spec's own discovery examples list.
XML_MEDIA_TYPE = "text/xml"
CONTENT_TYPES = {
    Format.JSON: f"{JSON_MEDIA_TYPE}; charset=utf-8",
    Format.XML: f"{XML_MEDIA_TYPE}; charset=utf-8",
}

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
# Our free-text answers may hold line breaks, which Open311 allows in `text` but not in `string`.
DATATYPES: dict[QuestionDatatype, Datatype] = {
    QuestionDatatype.TEXT: "text",
    QuestionDatatype.NUMBER: "number",
    QuestionDatatype.SINGLE_CHOICE: "singlevaluelist",
    QuestionDatatype.MULTI_CHOICE: "multivaluelist",
}
DATATYPE_DESCRIPTIONS: dict[QuestionDatatype, Message] = {
    QuestionDatatype.TEXT: Message("Văn bản, có thể nhiều dòng", "Free text, may span several lines"),
    QuestionDatatype.NUMBER: Message("Một số", "A number"),
    QuestionDatatype.SINGLE_CHOICE: Message("Chọn một giá trị", "Choose one value"),
    QuestionDatatype.MULTI_CHOICE: Message("Chọn một hoặc nhiều giá trị", "Choose one or more values"),
}


class Open311Endpoint(BaseModel):
    specification: str = Field(examples=[SPECIFICATION])
    url: str = Field(description="Base URL of the GeoReport v2 endpoints of this server.")
    changeset: datetime
    type: Literal["production", "test"]
    formats: list[str] = Field(examples=[[XML_MEDIA_TYPE, JSON_MEDIA_TYPE]])


class Open311Discovery(BaseModel):
    """The Open311 discovery document (XML root `<discovery>`)."""

    changeset: datetime = Field(description="When this document last changed (W3C datetime).")
    contact: str
    key_service: str = Field(description="Where to get an api_key.")
    endpoints: list[Open311Endpoint]


class Open311Service(BaseModel):
    """One report category as an Open311 service (XML `<services><service>`)."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="True when the service has attributes (extra questions).")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str = Field(description="Comma-separated keywords.")
    group: str


class Open311AttributeValue(BaseModel):
    key: str
    name: str


class Open311Attribute(BaseModel):
    """One extra question (XML `<attribute>`); `values` is present for the list datatypes only."""

    variable: bool
    code: str
    datatype: Datatype
    required: bool
    datatype_description: str
    order: int = Field(ge=1)
    description: str
    # Left out rather than null for the other datatypes, hence SkipJsonSchema: null is never sent.
    values: list[Open311AttributeValue] | SkipJsonSchema[None] = Field(
        default=None, description="The choices; only for singlevaluelist and multivaluelist."
    )


class Open311ServiceDefinition(BaseModel):
    """The attributes of one service (XML root `<service_definition>`)."""

    service_code: str
    attributes: list[Open311Attribute]


class Open311Error(BaseModel):
    """An Open311 error (XML `<errors><error>`): `code` repeats the HTTP status."""

    code: int
    description: str


def discovery(url: str, language: Language) -> Open311Discovery:
    return Open311Discovery(
        changeset=CHANGESET,
        contact=CONTACT.in_(language),
        key_service=KEY_SERVICE.in_(language),
        endpoints=[
            Open311Endpoint(
                specification=SPECIFICATION,
                url=url,
                changeset=CHANGESET,
                type="production",
                formats=[XML_MEDIA_TYPE, JSON_MEDIA_TYPE],
            )
        ],
    )


def service(category: CategoryRead, language: Language) -> Open311Service:
    return Open311Service(
        service_code=category.code,
        service_name=category.name_vi if language == "vi" else category.name_en,
        description=category.description_vi if language == "vi" else category.description_en,
        metadata=bool(category.questions),
        # Every report is acknowledged and tracked, so a request id is always given at once.
        type="realtime",
        keywords=", ".join(category.keywords),
        group=category.group,
    )


def _attribute(question: Question, position: int, language: Language) -> Open311Attribute:
    values = None
    if question.datatype in CHOICE_DATATYPES:
        values = [
            Open311AttributeValue(key=option.key, name=option.name_vi if language == "vi" else option.name_en)
            for option in question.options or []
        ]
    return Open311Attribute(
        # Every question is answered by the citizen; none is a read-only notice.
        variable=True,
        code=question.code,
        datatype=DATATYPES[question.datatype],
        required=question.required,
        datatype_description=DATATYPE_DESCRIPTIONS[question.datatype].in_(language),
        order=position,
        description=question.label_vi if language == "vi" else question.label_en,
        values=values,
    )


def service_definition(category: CategoryRead, language: Language) -> Open311ServiceDefinition:
    # The questions come sorted by (order, code), but our order values may tie or skip; Open311 clients sort
    # by `order`, so they get the 1-based position, which keeps our order and is unique.
    return Open311ServiceDefinition(
        service_code=category.code,
        attributes=[
            _attribute(question, position, language)
            for position, question in enumerate(category.questions, start=1)
        ],
    )
