"""Reading form bodies with every part bounded.

Starlette bounds the number of parts and the size of a plain field, but writes a file part of any size to a
temporary file. `read_multipart` also stops a file part at its own limit while it streams in (413
payload_too_large), so a photo larger than a photo is never spooled whole. The whole body is bounded before
this by api/body_limits.py.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from core.errors import Message, ProblemError

# Open311 forms: the spec's fields plus one attribute[...] field per extra question.
FORM_MAX_FIELDS = 100


async def read_form(request: Request) -> FormData:
    """A form body (Open311's POST) with few fields and no files. The first read is kept by the request, so
    the API-key policy and the route share one parse with the same bounds."""
    return await request.form(max_files=0, max_fields=FORM_MAX_FIELDS)


class PartTooLargeError(MultiPartException):
    def __init__(self, limit: int) -> None:
        super().__init__(f"A part is larger than {limit} bytes.")
        self.limit = limit


class _BoundedMultiPartParser(MultiPartParser):
    def __init__(
        self, request: Request, *, max_files: int, max_fields: int, max_part_size: int, max_file_size: int
    ):
        super().__init__(
            request.headers,
            request.stream(),
            max_files=max_files,
            max_fields=max_fields,
            max_part_size=max_part_size,
        )
        self.max_file_size = max_file_size
        self._file_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self.max_file_size:
                raise PartTooLargeError(self.max_file_size)
        elif len(self._current_part.data) + end - start > self.max_part_size:
            raise PartTooLargeError(self.max_part_size)
        super().on_part_data(data, start, end)


def part_too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "payload_too_large",
        Message(
            f"Một phần của nội dung vượt quá {limit} byte", f"A part of the body is larger than {limit} bytes"
        ),
        extensions={"max_bytes": limit},
    )


def _malformed(error: MultiPartException) -> ProblemError:
    return ProblemError(
        400,
        "http_error",
        Message(
            "Nội dung multipart/form-data không hợp lệ",
            f"The multipart/form-data body is not valid: {error.message}",
        ),
    )


async def read_multipart(
    request: Request,
    *,
    max_files: int,
    max_fields: int,
    max_part_size: int,
    max_file_size: int,
    file_too_large: Callable[[int], ProblemError] = part_too_large,
) -> FormData:
    """The multipart body with at most `max_files` file parts of `max_file_size` bytes each and `max_fields`
    plain fields of `max_part_size` bytes each: 413 (payload_too_large, or what `file_too_large` says for a
    file part) for a part too large, 400 http_error for the rest."""
    parser = _BoundedMultiPartParser(
        request,
        max_files=max_files,
        max_fields=max_fields,
        max_part_size=max_part_size,
        max_file_size=max_file_size,
    )
    try:
        return await parser.parse()
    except PartTooLargeError as error:
        refusal = file_too_large if error.limit == max_file_size else part_too_large
        raise refusal(error.limit) from error
    except MultiPartException as error:
        raise _malformed(error) from error
