"""RFC 9457 problem details with stable codes and messages in Vietnamese and English."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["vi", "en"]
DEFAULT_LANGUAGE: Language = "vi"

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Message:
    vi: str
    en: str

    def in_(self, language: Language) -> str:
        return self.vi if language == "vi" else self.en


# Every stable error code with its title. Codes are part of the mobile contract: never rename one.
TITLES: Mapping[str, Message] = {
    "validation_error": Message("Dữ liệu gửi lên không hợp lệ", "The request is not valid"),
    "not_found": Message("Không tìm thấy", "Not found"),
    "wall_not_built": Message(
        "Trang điều hành chưa được dựng: chạy scripts/bootstrap.sh",
        "The wall page is not built: run scripts/bootstrap.sh",
    ),
    "wall_asset_not_found": Message("Không có tệp này của trang điều hành", "No such file of the wall page"),
    "method_not_allowed": Message("Phương thức không được hỗ trợ", "Method not allowed"),
    "not_acceptable": Message("Không có định dạng phù hợp", "Not acceptable"),
    "unsupported_media_type": Message("Định dạng dữ liệu không được hỗ trợ", "Unsupported media type"),
    "payload_too_large": Message("Dữ liệu gửi lên quá lớn", "Payload too large"),
    "http_error": Message("Yêu cầu không thể xử lý", "The request cannot be handled"),
    "internal_error": Message("Lỗi hệ thống, vui lòng thử lại sau", "Internal error, please try again later"),
    "not_ready": Message("Hệ thống chưa sẵn sàng", "The service is not ready"),
    "session_check_unavailable": Message(
        "Tạm thời không kiểm tra được phiên đăng nhập", "The session cannot be checked right now"
    ),
    "unit_not_found": Message("Không tìm thấy đơn vị hành chính", "Administrative unit not found"),
    # The public working calendar.
    "invalid_date": Message("Ngày không hợp lệ (định dạng YYYY-MM-DD)", "Not a valid date (YYYY-MM-DD)"),
    "date_range_reversed": Message(
        "Ngày kết thúc trước ngày bắt đầu", "The end date is before the start date"
    ),
    "date_range_too_long": Message("Khoảng thời gian quá dài", "The date range is too long"),
    "date_outside_calendar": Message(
        "Ngày nằm ngoài các năm của lịch làm việc",
        "The date is outside the years the working calendar covers",
    ),
    # The live channel (/ws): in-band error codes and close reasons.
    "invalid_message": Message("Tin nhắn không hợp lệ", "The message is not valid"),
    "forbidden_topic": Message("Không được phép theo dõi chủ đề này", "You may not subscribe to this topic"),
    "resume_not_allowed": Message(
        "Chỉ có thể tiếp tục trước khi nhận sự kiện đầu tiên", "Resuming is accepted only before any event"
    ),
    "message_too_big": Message("Tin nhắn quá lớn", "The message is too large"),
    "auth_timeout": Message("Hết thời gian chờ xác thực", "Authentication timed out"),
    "slow_consumer": Message("Kết nối nhận dữ liệu quá chậm", "The connection reads too slowly"),
    "too_many_errors": Message("Quá nhiều tin nhắn không hợp lệ", "Too many invalid messages"),
    # Identity and access.
    "unauthenticated": Message("Cần đăng nhập", "Authentication required"),
    "invalid_token": Message("Token không hợp lệ", "Invalid token"),
    "token_expired": Message("Token đã hết hạn", "Token expired"),
    "forbidden": Message("Không có quyền thực hiện", "Not allowed"),
    "outside_unit": Message("Ngoài phạm vi đơn vị được giao", "Outside your administrative unit"),
    "rate_limited": Message("Quá nhiều yêu cầu, vui lòng thử lại sau", "Too many requests, try again later"),
    "invalid_phone": Message("Số điện thoại không hợp lệ", "Invalid phone number"),
    "otp_invalid": Message("Mã xác thực không đúng", "Wrong verification code"),
    "otp_expired": Message("Mã xác thực đã hết hạn", "Verification code expired"),
    "otp_attempts_exceeded": Message("Đã nhập sai quá số lần cho phép", "Too many wrong codes"),
    "invalid_credentials": Message("Sai tên đăng nhập hoặc mật khẩu", "Wrong username or password"),
    "refresh_token_invalid": Message("Phiên đăng nhập không hợp lệ", "Invalid refresh token"),
    "refresh_token_reused": Message(
        "Phiên đăng nhập đã bị thu hồi vì token bị dùng lại", "Session revoked: the refresh token was reused"
    ),
    "api_key_invalid": Message("Khóa API không hợp lệ", "Invalid API key"),
    "insufficient_scope": Message("Khóa API không có quyền này", "The API key lacks this scope"),
    "conflict": Message("Xung đột với dữ liệu hiện có", "Conflicts with existing data"),
    "account_not_found": Message("Không tìm thấy tài khoản", "Account not found"),
    # Photos and other media.
    "not_an_image": Message("Tệp không phải là ảnh", "The file is not an image"),
    "unsupported_image_type": Message(
        "Định dạng ảnh không được hỗ trợ (JPEG, PNG, HEIC, WebP)",
        "Unsupported image type (JPEG, PNG, HEIC, WebP)",
    ),
    "image_too_large": Message("Ảnh quá lớn", "The image is too large"),
    "image_dimensions_too_large": Message("Kích thước ảnh quá lớn", "The image dimensions are too large"),
    "image_corrupt": Message("Ảnh bị hỏng hoặc không đọc được", "The image is damaged or unreadable"),
    "media_busy": Message(
        "Hệ thống đang bận xử lý ảnh, vui lòng thử lại sau", "Photo processing is busy, try again shortly"
    ),
    "sms_unavailable": Message(
        "Chưa gửi được tin nhắn, vui lòng thử lại sau", "The text message could not be sent, try again later"
    ),
    "outside_province": Message("Vị trí nằm ngoài địa bàn tỉnh", "The location is outside the province"),
    "device_not_found": Message("Không tìm thấy thiết bị", "Device not found"),
    "device_decommissioned": Message("Thiết bị đã ngừng sử dụng", "The device has been decommissioned"),
    "broker_unavailable": Message(
        "Máy chủ MQTT tạm thời không phản hồi", "The MQTT broker is temporarily unavailable"
    ),
    # Citizen reports.
    "category_not_found": Message("Không tìm thấy loại phản ánh", "Report category not found"),
    "report_not_found": Message("Không tìm thấy phản ánh", "Report not found"),
    "invalid_answers": Message(
        "Câu trả lời cho các câu hỏi bổ sung không hợp lệ", "The answers to the extra questions are not valid"
    ),
    "too_many_photos": Message("Quá nhiều ảnh", "Too many photos"),
    "photo_not_found": Message("Không tìm thấy ảnh đã tải lên", "Uploaded photo not found"),
    "idempotency_key_reused": Message(
        "Idempotency-Key đã được dùng cho một yêu cầu khác",
        "The Idempotency-Key was used for another request",
    ),
    "invalid_transition": Message(
        "Không thể chuyển phản ánh sang trạng thái này", "The report cannot move to this status"
    ),
    "deadline_already_extended": Message(
        "Hạn xử lý chỉ được gia hạn một lần", "The deadline may be extended only once"
    ),
    "reopen_window_passed": Message(
        "Đã quá thời hạn mở lại phản ánh", "The time to reopen this report has passed"
    ),
    "already_rated": Message("Phản ánh đã được đánh giá", "The report has already been rated"),
    "not_report_owner": Message(
        "Chỉ người gửi phản ánh mới được thực hiện thao tác này", "Only the reporter may do this"
    ),
    "invalid_merge": Message("Không thể gộp các phản ánh này", "These reports cannot be merged"),
    "department_not_found": Message("Không tìm thấy cơ quan xử lý", "Department not found"),
    "invalid_assignee": Message("Người được giao không hợp lệ", "The assignee is not valid"),
    "own_report": Message(
        "Không thể thực hiện thao tác này trên phản ánh của chính bạn",
        "You cannot do this on your own report",
    ),
    "report_not_open": Message("Phản ánh không còn mở", "The report is no longer open"),
    "invalid_deadline": Message("Hạn xử lý mới không hợp lệ", "The new deadline is not valid"),
    "not_assignee": Message(
        "Chỉ người được giao phản ánh mới được thực hiện thao tác này",
        "Only the person the report is assigned to may do this",
    ),
    # Alarms of the operations centre.
    "alarm_not_found": Message("Không tìm thấy cảnh báo", "Alarm not found"),
    "already_acknowledged": Message("Cảnh báo đã được xác nhận", "The alarm is already acknowledged"),
    "already_cleared": Message("Cảnh báo đã kết thúc", "The alarm is already cleared"),
    "not_alarm_assignee": Message(
        "Chỉ người được giao cảnh báo mới được thực hiện thao tác này",
        "Only the person the alarm is assigned to may do this",
    ),
    # Incidents.
    "incident_not_found": Message("Không tìm thấy sự cố", "Incident not found"),
    "incident_closed": Message("Sự cố đã đóng", "The incident is closed"),
    "already_linked": Message("Đã thuộc sự cố này", "Already in this incident"),
    "linked_elsewhere": Message("Đang thuộc một sự cố khác", "In another open incident"),
    "member_not_linked": Message("Không thuộc sự cố này", "Not in this incident"),
    "incident_across_provinces": Message(
        "Các thành phần của sự cố thuộc nhiều tỉnh", "The members of the incident lie in several provinces"
    ),
    "invalid_cursor": Message("Con trỏ phân trang không hợp lệ", "The pagination cursor is not valid"),
    "area_too_large": Message("Vùng tìm kiếm quá lớn", "The search area is too large"),
    # Field dispatch.
    "alarm_cleared": Message("Cảnh báo đã kết thúc", "The alarm has been cleared"),
    "not_offered": Message("Việc này không được giao cho bạn", "This dispatch was not offered to you"),
    "dispatch_taken": Message("Đã có người khác nhận việc", "Someone else has taken this dispatch"),
    "offer_closed": Message("Lời mời nhận việc đã đóng", "The dispatch offer is closed"),
    # Dossiers: the citizen's side.
    "dossier_not_found": Message("Không tìm thấy hồ sơ", "Dossier not found"),
    "not_returned": Message("Hồ sơ chưa được trả kết quả", "The dossier's result has not been returned yet"),
    "lookup_unavailable": Message(
        "Tạm thời không tra cứu được hồ sơ, vui lòng thử lại sau",
        "Dossier lookup is unavailable, try again soon",
    ),
    # Public warnings.
    "warning_not_found": Message("Không tìm thấy cảnh báo", "Warning not found"),
    "warning_cancelled": Message("Cảnh báo đã bị hủy", "The warning was cancelled"),
    "precondition_failed": Message(
        "Dữ liệu đã được người khác thay đổi sau khi bạn tải về", "It has changed since you last read it"
    ),
    # Alert rules.
    "rule_not_found": Message("Không tìm thấy quy tắc cảnh báo", "Alert rule not found"),
    "rule_version_not_found": Message(
        "Không tìm thấy phiên bản này của quy tắc cảnh báo", "This version of the alert rule was not found"
    ),
    "kind_immutable": Message(
        "Không thể đổi loại của quy tắc cảnh báo", "An alert rule's kind cannot change"
    ),
    "unknown_metric": Message(
        "Chỉ số không có ở loại thiết bị được áp dụng", "A metric the rule's device types do not report"
    ),
    "device_type_not_allowed": Message(
        "Loại thiết bị không phù hợp với loại quy tắc", "A device type this kind of rule cannot watch"
    ),
    "impossible_condition": Message("Điều kiện không bao giờ xảy ra", "The condition can never hold"),
    "impossible_clearing": Message(
        "Điều kiện kết thúc cảnh báo không bao giờ xảy ra", "The clearing condition can never hold"
    ),
    "clearing_overlaps": Message(
        "Điều kiện kết thúc cảnh báo có thể đúng cùng lúc với điều kiện cảnh báo",
        "The clearing condition can hold while the raising condition still does",
    ),
    "invalid_severities": Message("Các mức độ cảnh báo không hợp lệ", "The severities are not valid"),
    "invalid_zone": Message("Vùng áp dụng không phải đa giác hợp lệ", "The zone is not a valid polygon"),
    "zone_outside_units": Message(
        "Vùng áp dụng không thuộc các đơn vị đã chọn", "The zone lies outside the chosen units"
    ),
    # Administrative dossiers: agencies and their sync.
    "agency_not_found": Message("Không tìm thấy cơ quan", "Agency not found"),
    "agency_code_taken": Message("Mã cơ quan đã được dùng", "The agency code is already taken"),
    "api_key_not_bound": Message(
        "Khóa API chưa được gán cho cơ quan nào", "The API key is not bound to an agency"
    ),
    # The procedure catalogue of dossiers.
    "procedure_not_found": Message("Không tìm thấy thủ tục hành chính", "Administrative procedure not found"),
    # Apologies for late dossiers.
    "not_late": Message("Hồ sơ không bị trễ hạn", "The dossier is not late"),
}

STATUS_CODES: Mapping[int, str] = {
    400: "http_error",
    401: "unauthenticated",
    403: "forbidden",
    429: "rate_limited",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@dataclass(slots=True)
class ProblemError(Exception):
    """Raised by services and routes; rendered as application/problem+json by the API."""

    status: int
    code: str
    detail: Message | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    # Response headers the status calls for, e.g. WWW-Authenticate on 401 or Retry-After on 429.
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in TITLES:
            raise ValueError(f"unknown problem code {self.code!r}: add it to core.errors.TITLES")

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail.en if self.detail else TITLES[self.code].en}"


def invalid_value(
    location: Sequence[str | int],
    message: Message,
    *,
    code: str = "validation_error",
    type_: str = "value_error",
    pointer: str | None = None,
) -> ProblemError:
    """A 422 about one value of the request, in the shape of FastAPI's own validation errors: `location` is
    the request part (body, query...) then the keys to the value; the pointer defaults to those keys."""
    keys = [str(key) for key in location]
    if pointer is None:
        pointer = "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in keys[1:])
    return ProblemError(
        422,
        code,
        message,
        extensions={"errors": [{"location": keys, "pointer": pointer, "type": type_, "message": message.en}]},
    )


def invalid_parameter(
    name: str | tuple[str, ...], message: Message, *, code: str = "validation_error", location: str = "query"
) -> ProblemError:
    """A 422 about one request parameter. In a body, `name` may be the path to a nested member, e.g.
    ("area", "ward_codes"), and the pointer names it; a query parameter has no pointer."""
    path = [name] if isinstance(name, str) else list(name)
    return invalid_value([location, *path], message, code=code, pointer=None if location == "body" else "")


def pick_language(accept_language: str | None) -> Language:
    """Choose vi or en from an Accept-Language header, honouring q-values; Vietnamese by default."""
    candidates: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("vi", "en"):
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if quality > 0:
            # Higher quality wins; on a tie the tag listed first wins.
            candidates.append((quality, -position, "vi" if primary == "vi" else "en"))
    return max(candidates)[2] if candidates else DEFAULT_LANGUAGE


def problem_body(
    *,
    status: int,
    code: str,
    language: Language,
    detail: Message | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    title = TITLES.get(code, TITLES["http_error"])
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title.in_(language),
        "status": status,
        "code": code,
    }
    if detail is not None:
        body["detail"] = detail.in_(language)
    if instance is not None:
        body["instance"] = instance
    if request_id is not None:
        body["request_id"] = request_id
    if extensions:
        body.update(extensions)
    return body
