// The alarm list: filtered by severity and status, kept current by live events, and the officer's actions
// on an alarm (acknowledge, assign, dispatch, clear, comment) through /api/v1/alerts.

import { ApiError, get, post, query } from "./api";
import { SEVERITY_COLOURS } from "./colours";
import { h, replace } from "./dom";
import { formatTime, pick, t, term } from "./i18n";
import { stats } from "./stats";

export interface Alarm {
  id: string;
  type: string;
  severity: string;
  status: string;
  title_vi: string;
  title_en: string;
  count: number;
  unit_code?: string;
  device_id: string | null;
  raised_at: string;
  last_seen_at: string;
  assignee_id: string | null;
  location?: { lat: number; lon: number } | null;
}

interface FieldStaffMember {
  user_id: string;
  display_name: string | null;
  available: boolean;
  lat: number | null;
  lon: number | null;
}

const SEVERITIES = ["critical", "major", "minor", "warning", "indeterminate"];
const STATUSES = ["active_unacknowledged", "active_acknowledged", "cleared_unacknowledged", "cleared_acknowledged"];
const ACTIVE = STATUSES.slice(0, 2);
const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));
const SHOWN = 200;

export interface AlarmCallbacks {
  focus(alarm: Alarm): void;
  notice(text: string, bad?: boolean): void;
}

export class AlarmList {
  readonly element = h("section", { class: "alarms", "data-testid": "alarms" });
  private alarms = new Map<string, Alarm>();
  private fresh = new Set<string>();
  private severity = "";
  private status = "active";
  private open: { id: string; form: "comment" | "assign" } | null = null;

  constructor(private readonly callbacks: AlarmCallbacks) {}

  async load(): Promise<void> {
    const statuses = this.status === "active" ? ACTIVE : this.status === "" ? undefined : [this.status];
    const page = await get<{ items: Alarm[] }>(
      `/api/v1/alerts${query({ status: statuses, severity: this.severity || undefined, limit: SHOWN })}`,
    );
    this.alarms = new Map(page.items.map((alarm) => [alarm.id, alarm]));
    this.render();
    stats.alarmsLoadedAt ??= performance.now();
  }

  private matches(alarm: Alarm): boolean {
    if (this.severity && alarm.severity !== this.severity) return false;
    if (this.status === "active") return ACTIVE.includes(alarm.status);
    return !this.status || alarm.status === this.status;
  }

  /** An alerts.* event: the alarm as it is now. Returns whether it is new to the list. */
  apply(type: string, alarm: Alarm): boolean {
    const known = this.alarms.has(alarm.id);
    if (this.matches(alarm)) this.alarms.set(alarm.id, { ...this.alarms.get(alarm.id), ...alarm });
    else this.alarms.delete(alarm.id);
    const isNew = type === "alerts.raised" && !known;
    if (isNew) {
      this.fresh.add(alarm.id);
      window.setTimeout(() => {
        this.fresh.delete(alarm.id);
        this.element.querySelector(`[data-id="${alarm.id}"]`)?.classList.remove("new");
      }, 8000);
    }
    this.render();
    return isNew;
  }

  render(): void {
    const sorted = [...this.alarms.values()].sort(
      (a, b) => RANK[a.severity] - RANK[b.severity] || b.raised_at.localeCompare(a.raised_at),
    );
    stats.alarmsListed = sorted.length;
    const severity = h(
      "select",
      { "data-testid": "severity-filter", onchange: (e: Event) => this.filter("severity", (e.target as HTMLSelectElement).value) },
      h("option", { value: "" }, t("allSeverities")),
      ...SEVERITIES.map((s) => h("option", { value: s, selected: s === this.severity }, term(s))),
    );
    const status = h(
      "select",
      { "data-testid": "status-filter", onchange: (e: Event) => this.filter("status", (e.target as HTMLSelectElement).value) },
      h("option", { value: "active", selected: this.status === "active" }, t("activeStatuses")),
      h("option", { value: "", selected: this.status === "" }, t("allStatuses")),
      ...STATUSES.map((s) => h("option", { value: s, selected: s === this.status }, term(s))),
    );
    replace(
      this.element,
      h("header", {}, h("h2", {}, `${t("alarms")} `, h("span", { class: "badge" }, String(sorted.length))), severity, status),
      sorted.length
        ? h("ul", { class: "alarm-list" }, ...sorted.slice(0, SHOWN).map((alarm) => this.item(alarm)))
        : h("p", { class: "empty" }, t("noAlarms")),
    );
  }

  private async filter(which: "severity" | "status", value: string): Promise<void> {
    this[which] = value;
    await this.load();
  }

  private item(alarm: Alarm): HTMLLIElement {
    const active = alarm.status.startsWith("active");
    const unacknowledged = alarm.status.endsWith("unacknowledged");
    const button = (action: string, label: string, run: () => void) =>
      h("button", { type: "button", "data-action": action, onclick: (e: Event) => (e.stopPropagation(), run()) }, label);
    const li = h(
      "li",
      {
        class: `alarm${this.fresh.has(alarm.id) ? " new" : ""}`,
        "data-id": alarm.id,
        "data-status": alarm.status,
        "data-severity": alarm.severity,
        style: `--severity:${SEVERITY_COLOURS[alarm.severity] ?? "#888"}`,
        onclick: () => this.callbacks.focus(alarm),
      },
      h("div", { class: "title" }, h("span", { class: "chip" }, term(alarm.severity)), pick(alarm.title_vi, alarm.title_en)),
      h(
        "div",
        { class: "meta" },
        h("span", { class: "status" }, term(alarm.status)),
        ` · ${t("raisedAt")} ${formatTime(alarm.raised_at)} · ${t("count")} ${alarm.count}`,
      ),
      h(
        "div",
        { class: "actions" },
        unacknowledged && button("ack", t("ack"), () => void this.act(alarm, "ack")),
        active && button("assign", t("assign"), () => this.toggleForm(alarm, "assign")),
        active && button("dispatch", t("dispatch"), () => void this.dispatch(alarm)),
        active && button("clear", t("clear"), () => void this.act(alarm, "clear")),
        button("comment", t("comment"), () => this.toggleForm(alarm, "comment")),
      ),
    );
    if (this.open?.id === alarm.id) li.append(this.open.form === "comment" ? this.commentForm(alarm) : this.assignForm(alarm));
    return li;
  }

  private toggleForm(alarm: Alarm, form: "comment" | "assign"): void {
    this.open = this.open?.id === alarm.id && this.open.form === form ? null : { id: alarm.id, form };
    this.render();
  }

  private commentForm(alarm: Alarm): HTMLFormElement {
    const input = h("input", { type: "text", maxlength: 2000, required: true, "data-testid": "comment-text" });
    return h(
      "form",
      {
        class: "inline",
        onclick: (e: Event) => e.stopPropagation(),
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.run(alarm, () => post(`/api/v1/alerts/${alarm.id}/comments`, { text: input.value }), false);
        },
      },
      input,
      h("button", { type: "submit" }, t("send")),
    );
  }

  private assignForm(alarm: Alarm): HTMLElement {
    const form = h("form", { class: "inline", onclick: (e: Event) => e.stopPropagation() }, "…");
    void this.fieldStaff().then((staff) => {
      const select = h("select", { "data-testid": "assignee" }, ...staff.map((m) => h("option", { value: m.user_id }, m.display_name ?? m.user_id)));
      replace(form, staff.length ? select : t("nobodyAvailable"), staff.length ? h("button", { type: "submit" }, t("assign")) : null);
      form.onsubmit = (e) => {
        e.preventDefault();
        void this.run(alarm, () => post<Alarm>(`/api/v1/alerts/${alarm.id}/assign`, { assignee_id: select.value }));
      };
    });
    return form;
  }

  private async fieldStaff(): Promise<FieldStaffMember[]> {
    try {
      return (await get<{ items: FieldStaffMember[] }>("/api/v1/field-staff?limit=100")).items;
    } catch {
      return [];
    }
  }

  /** Send the nearest available field worker (the officer can still assign someone else by hand). */
  private async dispatch(alarm: Alarm): Promise<void> {
    const where = alarm.location;
    const available = (await this.fieldStaff()).filter((m) => m.available && m.lat !== null && m.lon !== null);
    if (!available.length) {
      this.callbacks.notice(t("nobodyAvailable"), true);
      return;
    }
    const distance = (m: FieldStaffMember) => (where ? ((m.lat as number) - where.lat) ** 2 + ((m.lon as number) - where.lon) ** 2 : 0);
    const nearest = available.sort((a, b) => distance(a) - distance(b))[0];
    await this.run(alarm, () => post<Alarm>(`/api/v1/alerts/${alarm.id}/assign`, { assignee_id: nearest.user_id }));
  }

  private act(alarm: Alarm, action: "ack" | "clear"): Promise<void> {
    return this.run(alarm, () => post<Alarm>(`/api/v1/alerts/${alarm.id}/${action}`));
  }

  private async run(alarm: Alarm, call: () => Promise<unknown>, replaces = true): Promise<void> {
    try {
      const result = await call();
      this.open = null;
      if (replaces && result && typeof result === "object") this.apply("alerts.action", { ...alarm, ...(result as Alarm) });
      else this.render();
      this.callbacks.notice(t("done"));
    } catch (error) {
      this.callbacks.notice(`${t("actionFailed")}: ${error instanceof ApiError ? error.message : String(error)}`, true);
    }
  }
}
