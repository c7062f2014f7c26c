"""Reading a submission's body by hand: JSON, or multipart/form-data with a `report` part holding the same
JSON and up to five `photos` parts. FastAPI cannot express the two as one parameter, so the submit route
reads the stream itself and turns what it refuses into the usual problems.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from core.errors import Message, ProblemError
from core.http import forms
from core.settings import Settings
from feedback.reports.models import MAX_PHOTOS
from feedback.submission import photos
from feedback.submission.schemas import SubmitReport

JSON_BODY_MAX_BYTES = 64 * 1024
# A multipart request may carry a few more parts than allowed photos: the excess is refused by name.
MULTIPART_MAX_FILES = 4 * MAX_PHOTOS
MULTIPART_MAX_FIELDS = 4


def unsupported(content_type: str) -> ProblemError:
    return ProblemError(
        415,
        "unsupported_media_type",
        Message(
            "Gửi phản ánh dạng application/json hoặc multipart/form-data",
            f"Send the report as application/json or multipart/form-data, not {content_type or 'nothing'}",
        ),
    )


def _invalid(location: tuple[str, ...], error: ValidationError) -> RequestValidationError:
    """A pydantic error as FastAPI's own, so that it leaves as the usual validation_error problem."""
    return RequestValidationError(
        [
            {**item, "loc": (*location, *item["loc"])}
            for item in error.errors(include_url=False, include_context=False, include_input=False)
        ]
    )


def _missing(location: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": location, "type": "missing", "msg": message}])


def _parse_report(raw: bytes | str, location: tuple[str, ...]) -> SubmitReport:
    try:
        return SubmitReport.model_validate_json(raw)
    except ValidationError as error:
        raise _invalid(location, error) from error


async def read_json(request: Request) -> SubmitReport:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > JSON_BODY_MAX_BYTES:
            raise ProblemError(
                413, "payload_too_large", Message("Nội dung phản ánh quá lớn", "The report is too large")
            )
    return _parse_report(bytes(body), ("body",))


async def read_part(part: StarletteUploadFile, limit: int) -> bytes:
    data = await part.read(limit + 1)
    await part.close()
    return data


async def read_upload(request: Request, settings: Settings) -> bytes:
    """The one `file` part of a photo upload, stopped at the photo limit while it streams in."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise _missing(("body", "file"), "Send the photo as the file part of a multipart/form-data body")
    form = await forms.read_multipart(
        request,
        max_files=1,
        max_fields=0,
        max_part_size=JSON_BODY_MAX_BYTES,
        max_file_size=settings.media_max_bytes,
        file_too_large=photos.too_large,
    )
    try:
        part = form.get("file")
        if not isinstance(part, StarletteUploadFile):
            raise _missing(("body", "file"), "The file part is required")
        return await read_part(part, settings.media_max_bytes)
    finally:
        await form.close()


async def read_multipart(request: Request, settings: Settings) -> tuple[SubmitReport, list[bytes]]:
    form = await forms.read_multipart(
        request,
        max_files=MULTIPART_MAX_FILES,
        max_fields=MULTIPART_MAX_FIELDS,
        max_part_size=JSON_BODY_MAX_BYTES,
        # Each photo is refused at its own limit while it streams in; the report part is read as JSON.
        max_file_size=settings.media_max_bytes,
        file_too_large=photos.too_large,
    )
    try:
        report_part = form.get("report")
        if report_part is None:
            raise _missing(("body", "report"), "The report part is required")
        if isinstance(report_part, StarletteUploadFile):
            raw: bytes | str = await read_part(report_part, JSON_BODY_MAX_BYTES)
        else:
            raw = report_part
        report = _parse_report(raw, ("body", "report"))
        parts = form.getlist("photos")
        if len(parts) + len(report.photo_ids) > MAX_PHOTOS:
            raise photos.too_many_photos()
        files: list[bytes] = []
        for index, part in enumerate(parts):
            if not isinstance(part, StarletteUploadFile):
                raise _missing(("body", "photos", str(index)), "Each photos part must be a file")
            data = await read_part(part, settings.media_max_bytes)
            if len(data) > settings.media_max_bytes:
                raise photos.too_large(settings.media_max_bytes)
            files.append(data)
        return report, files
    finally:
        await form.close()
