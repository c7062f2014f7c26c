// The wall's words in Vietnamese (default) and English; the choice is remembered in the browser.

export type Language = "vi" | "en";

const STORAGE_KEY = "smartcity.wall.language";

const WORDS = {
  title: ["Trung tâm điều hành thông minh", "Intelligent operations centre"],
  signInTitle: ["Đăng nhập cán bộ", "Staff sign-in"],
  username: ["Tên đăng nhập", "Username"],
  password: ["Mật khẩu", "Password"],
  signIn: ["Đăng nhập", "Sign in"],
  signOut: ["Đăng xuất", "Sign out"],
  signInFailed: ["Đăng nhập không thành công", "Sign-in failed"],
  language: ["English", "Tiếng Việt"],
  live: ["Trực tuyến", "Live"],
  connecting: ["Đang kết nối…", "Connecting…"],
  reconnecting: ["Mất kết nối — đang kết nối lại…", "Connection lost — reconnecting…"],
  offline: ["Ngoại tuyến", "Offline"],
  alarms: ["Cảnh báo", "Alarms"],
  incidents: ["Sự cố", "Incidents"],
  device: ["Thiết bị", "Device"],
  kpis: ["Chỉ số", "KPIs"],
  allSeverities: ["Mọi mức độ", "All severities"],
  activeStatuses: ["Đang hoạt động", "Active"],
  allStatuses: ["Mọi trạng thái", "All statuses"],
  noAlarms: ["Không có cảnh báo", "No alarms"],
  ack: ["Xác nhận", "Acknowledge"],
  clear: ["Kết thúc", "Clear"],
  comment: ["Ghi chú", "Comment"],
  assign: ["Giao việc", "Assign"],
  dispatch: ["Điều phối", "Dispatch"],
  send: ["Gửi", "Send"],
  cancel: ["Huỷ", "Cancel"],
  close: ["Đóng", "Close"],
  nobodyAvailable: ["Không có nhân viên hiện trường sẵn sàng", "No field staff available"],
  actionFailed: ["Không thực hiện được", "The action failed"],
  done: ["Đã thực hiện", "Done"],
  linkedAlarms: ["Cảnh báo liên quan", "Linked alarms"],
  linkedReports: ["Phản ánh liên quan", "Linked reports"],
  latestValues: ["Giá trị mới nhất", "Latest values"],
  history: ["Lịch sử 24 giờ", "Last 24 hours"],
  snapshot: ["Ảnh chụp mới nhất", "Latest snapshot"],
  noData: ["Chưa có dữ liệu", "No data yet"],
  online: ["Trực tuyến", "Online"],
  offlineDevice: ["Mất kết nối", "Offline"],
  hotspots: ["Điểm nóng", "Hotspots"],
  layers: ["Lớp bản đồ", "Layers"],
  count: ["Số lần", "Count"],
  raisedAt: ["Phát sinh", "Raised"],
  status: ["Trạng thái", "Status"],
  severity: ["Mức độ", "Severity"],
  newAlarm: ["Cảnh báo mới", "New alarm"],
  legend: ["Chú giải", "Legend"],
  fieldStaffAvailable: ["Nhân viên sẵn sàng", "Field staff, available"],
  fieldStaffBusy: ["Nhân viên đang bận", "Field staff, busy"],
  deviceLevels: ["Thiết bị: bình thường → nguy hiểm", "Devices: normal → danger"],
  gap: ["Một số sự kiện có thể đã bị lỡ; đã tải lại", "Some events may have been missed; reloaded"],
} satisfies Record<string, [string, string]>;

export type Word = keyof typeof WORDS;

const ENUMS: Record<string, [string, string]> = {
  critical: ["Nghiêm trọng", "Critical"],
  major: ["Cao", "Major"],
  minor: ["Thấp", "Minor"],
  warning: ["Cảnh giác", "Warning"],
  indeterminate: ["Chưa xác định", "Indeterminate"],
  active_unacknowledged: ["Mới, chưa xác nhận", "Active, unacknowledged"],
  active_acknowledged: ["Đã xác nhận", "Acknowledged"],
  cleared_unacknowledged: ["Đã kết thúc, chưa xác nhận", "Cleared, unacknowledged"],
  cleared_acknowledged: ["Đã kết thúc", "Cleared"],
  open: ["Đang mở", "Open"],
  closed: ["Đã đóng", "Closed"],
  units: ["Địa giới", "Units"],
  devices: ["Thiết bị", "Devices"],
  alarms: ["Cảnh báo", "Alarms"],
  incidents: ["Sự cố", "Incidents"],
  reports: ["Phản ánh", "Reports"],
  "field-staff": ["Nhân viên hiện trường", "Field staff"],
  warnings: ["Cảnh báo công cộng", "Public warnings"],
  hotspots: ["Điểm nóng", "Hotspots"],
  // The KPI series the wall charts.
  received: ["Tiếp nhận", "Received"],
  resolved: ["Đã xử lý", "Resolved"],
  went_offline: ["Mất kết nối", "Went offline"],
};

let current: Language = readStored();
const listeners: Array<() => void> = [];

function readStored(): Language {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "vi";
  } catch {
    return "vi";
  }
}

export function language(): Language {
  return current;
}

export function setLanguage(next: Language): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // A browser that refuses storage keeps the choice for this page only.
  }
  document.documentElement.lang = next;
  for (const listener of listeners) listener();
}

export function onLanguageChange(listener: () => void): void {
  listeners.push(listener);
}

export function t(word: Word): string {
  return WORDS[word][current === "vi" ? 0 : 1];
}

/** A value of the API's vocabularies (severities, statuses, layer ids) in the current language. */
export function term(value: string): string {
  const words = ENUMS[value];
  return words ? words[current === "vi" ? 0 : 1] : value;
}

/** Texts the API sends in both languages (title_vi / title_en). */
export function pick(vi: string | null | undefined, en: string | null | undefined): string {
  return (current === "vi" ? vi || en : en || vi) ?? "";
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  // People read times in the province's zone, whatever the screen's own: "07:45 02/12".
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh",
      hour: "2-digit",
      minute: "2-digit",
      day: "2-digit",
      month: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.hour}:${parts.minute} ${parts.day}/${parts.month}`;
}
