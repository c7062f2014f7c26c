// The map's legend: what each colour means, in the current language.

import { DEVICE_OFFLINE, LEVEL_COLOURS, SEVERITY_COLOURS } from "./colours";
import { h } from "./dom";
import { t, term } from "./i18n";

const swatch = (colour: string, label: string, ring = false) =>
  h("div", { class: "key" }, h("span", { class: ring ? "dot ring" : "dot", style: `--c:${colour}` }), label);

export function legend(): HTMLElement {
  return h(
    "div",
    { class: "legend-box", "data-testid": "legend" },
    h("strong", {}, t("legend")),
    h("div", { class: "key" }, ...LEVEL_COLOURS.map((c) => h("span", { class: "dot", style: `--c:${c}` })), t("deviceLevels")),
    swatch(DEVICE_OFFLINE, t("offlineDevice")),
    h("div", { class: "key" }, ...["critical", "major", "minor", "warning"].map((s) => h("span", { class: "dot big", style: `--c:${SEVERITY_COLOURS[s]}` })), term("alarms")),
    swatch("#bc8cff", term("incidents"), true),
    swatch("#39c5cf", term("reports")),
    swatch("#56d364", t("fieldStaffAvailable"), true),
    swatch("#8b949e", t("fieldStaffBusy"), true),
  );
}
