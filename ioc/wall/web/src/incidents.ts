// The open incidents of the officer's units, newest first; one opens in the detail pane.

import { get } from "./api";
import { SEVERITY_COLOURS } from "./colours";
import { h, replace } from "./dom";
import { formatTime, pick, t, term } from "./i18n";

interface IncidentSummary {
  id: string;
  code: string;
  severity: string;
  title_vi: string;
  title_en: string;
  alarm_count: number;
  report_count: number;
  last_seen_at: string;
  location: { lat: number; lon: number } | null;
}

const SHOWN = 20;

export class IncidentList {
  readonly element = h("section", { class: "incidents", "data-testid": "incidents" });
  private incidents: IncidentSummary[] = [];
  private reloadTimer: number | undefined;

  constructor(private readonly open: (incident: IncidentSummary) => void) {}

  async load(): Promise<void> {
    try {
      this.incidents = (await get<{ items: IncidentSummary[] }>(`/api/v1/incidents?status=open&limit=${SHOWN}`)).items;
    } catch {
      this.incidents = [];
    }
    this.render();
  }

  /** Incident events come in bursts (a link, the lead's change): one reload a second at most. */
  reloadSoon(): void {
    if (this.reloadTimer !== undefined) return;
    this.reloadTimer = window.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.load();
    }, 1000);
  }

  render(): void {
    replace(
      this.element,
      h("h2", {}, `${t("incidents")} `, h("span", { class: "badge" }, String(this.incidents.length))),
      this.incidents.length
        ? h(
            "ul",
            { class: "incident-list" },
            ...this.incidents.map((incident) =>
              h(
                "li",
                { "data-id": incident.id, style: `--severity:${SEVERITY_COLOURS[incident.severity] ?? "#888"}`, onclick: () => this.open(incident) },
                h("strong", {}, incident.code),
                ` ${pick(incident.title_vi, incident.title_en)} · ${term(incident.severity)} · `,
                `${t("alarms")} ${incident.alarm_count} · ${term("reports")} ${incident.report_count} · ${formatTime(incident.last_seen_at)}`,
              ),
            ),
          )
        : h("p", { class: "empty" }, "—"),
    );
  }
}
