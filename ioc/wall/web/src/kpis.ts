// KPI charts of the officer's unit over the last 30 days, from /api/v1/kpis/{section}/series.

import { get, query } from "./api";
import { lineChart } from "./chart";
import { h, replace } from "./dom";
import { t, term } from "./i18n";

interface SeriesAnswer {
  interval: string;
  series: Array<{ key: string; points: Array<{ t: string; v: number | null }> }>;
}

const SECTIONS = ["alarms", "reports", "devices"];
// Medians are seconds, not counts: they would flatten a chart of counts, so the wall leaves them to the
// KPI tables.
const COUNTS_ONLY = (key: string): boolean => !key.startsWith("median_");

/** "raised_critical" as the severity's name, other keys as their own term. */
function seriesLabel(key: string): string {
  return key.startsWith("raised_") ? term(key.slice("raised_".length)) : term(key);
}
const PALETTE = ["#58a6ff", "#f5821f", "#56d364", "#bc8cff", "#e5243b", "#f2c230"];

export class Kpis {
  readonly element = h("section", { class: "kpis", "data-testid": "kpis" });

  async load(unitCode: string | null): Promise<void> {
    const charts = await Promise.all(
      SECTIONS.map(async (section) => {
        try {
          const answer = await get<SeriesAnswer>(`/api/v1/kpis/${section}/series${query({ unit_code: unitCode, interval: "day" })}`);
          const series = answer.series
            .filter((s) => COUNTS_ONLY(s.key))
            .slice(0, PALETTE.length)
            .map((s, i) => ({ label: seriesLabel(s.key), colour: PALETTE[i], points: s.points }));
          return h(
            "figure",
            { class: "kpi" },
            h("figcaption", {}, term(section)),
            series.length ? lineChart(series, 300, 110) : t("noData"),
            h("div", { class: "legend" }, ...series.map((s) => h("span", { style: `--c:${s.colour}` }, s.label))),
          );
        } catch {
          return h("figure", { class: "kpi" }, h("figcaption", {}, term(section)), t("noData"));
        }
      }),
    );
    replace(this.element, h("h2", {}, t("kpis")), ...charts);
  }
}
