// The detail pane: an incident with its linked alarms and reports, or a device with its latest values, a
// history chart from the telemetry API and, for a camera, its latest snapshot.

import { get, query } from "./api";
import { lineChart } from "./chart";
import { h, replace } from "./dom";
import { formatTime, pick, t, term } from "./i18n";

interface IncidentDetail {
  code: string;
  status: string;
  severity: string;
  title_vi: string;
  title_en: string;
  alarms: Array<{ id: string; severity: string; status: string; title_vi: string; title_en: string; raised_at: string }>;
  reports: Array<{ id: string; code: string; category_code: string; status: string; created_at: string }>;
}

interface Device {
  id: string;
  name: string;
  type: string;
  status: string;
  state: { online: boolean; metrics: Record<string, number>; ts: string | null } | null;
}

interface History {
  buckets: Array<{ start: string; avg: number | null }>;
}

export class Details {
  readonly element = h("section", { class: "details", "data-testid": "details", hidden: true });

  private closeButton(): HTMLButtonElement {
    return h("button", { type: "button", class: "close", onclick: () => (this.element.hidden = true) }, t("close"));
  }

  private show(...children: Array<Node | string | null>): void {
    replace(this.element, this.closeButton(), ...children);
    this.element.hidden = false;
  }

  async incident(id: string): Promise<void> {
    const incident = await get<IncidentDetail>(`/api/v1/incidents/${id}`);
    this.show(
      h("h2", {}, `${t("incidents")} ${incident.code}`),
      h("p", {}, `${pick(incident.title_vi, incident.title_en)} · ${term(incident.severity)} · ${term(incident.status)}`),
      h("h3", {}, t("linkedAlarms")),
      h("ul", {}, ...incident.alarms.map((a) => h("li", {}, `${term(a.severity)} · ${pick(a.title_vi, a.title_en)} · ${term(a.status)} · ${formatTime(a.raised_at)}`))),
      h("h3", {}, t("linkedReports")),
      h("ul", {}, ...incident.reports.map((r) => h("li", {}, `${r.code} · ${r.category_code} · ${r.status} · ${formatTime(r.created_at)}`))),
    );
  }

  async device(id: string): Promise<void> {
    const device = await get<Device>(`/api/v1/devices/${id}`);
    const metrics = Object.entries(device.state?.metrics ?? {});
    const chart = h("div", { class: "history" }, t("noData"));
    const snapshot = h("div", { class: "snapshot" });
    this.show(
      h("h2", {}, `${t("device")}: ${device.name}`),
      h("p", {}, `${device.type} · ${device.state?.online ? t("online") : t("offlineDevice")} · ${formatTime(device.state?.ts)}`),
      h("h3", {}, t("latestValues")),
      metrics.length
        ? h("table", { class: "values" }, ...metrics.map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, String(value)))))
        : h("p", {}, t("noData")),
      h("h3", {}, t("history")),
      chart,
      device.type === "camera" ? h("h3", {}, t("snapshot")) : null,
      snapshot,
    );
    if (metrics.length) {
      const [metric] = metrics[0];
      const history = await get<History>(`/api/v1/devices/${id}/telemetry${query({ metric, bucket: "5m" })}`);
      const points = history.buckets.map((b) => ({ t: b.start, v: b.avg }));
      if (points.length) replace(chart, lineChart([{ label: metric, colour: "#58a6ff", points }]), h("small", {}, metric));
    }
    if (device.type === "camera") {
      const events = await get<{ items: Array<{ snapshot_url: string | null; ts: string; type: string }> }>(`/api/v1/devices/${id}/events?limit=5`);
      const shot = events.items.find((item) => item.snapshot_url);
      replace(snapshot, shot ? h("figure", {}, h("img", { src: shot.snapshot_url as string, alt: shot.type }), h("figcaption", {}, `${shot.type} · ${formatTime(shot.ts)}`)) : t("noData"));
    }
  }
}
