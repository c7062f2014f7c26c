// The wall: sign-in, then the map, the side panel and the live channel, wired together.

import "./wall.css";
import { AlarmList, type Alarm } from "./alarms";
import { getAccessToken, setAccessToken, whenUnauthenticated } from "./api";
import { onNewAccessToken, resume, signIn, signOut, type UserSummary } from "./auth";
import { SEVERITY_COLOURS } from "./colours";
import { Details } from "./details";
import { h, replace } from "./dom";
import { language, onLanguageChange, setLanguage, t } from "./i18n";
import { IncidentList } from "./incidents";
import { Kpis } from "./kpis";
import { legend } from "./legend";
import { levelOf } from "./levels";
import { LiveChannel, type EventEnvelope } from "./live";
import { WallMap, type Picked, type WallConfig } from "./map";
import { setSocketHooks, stats } from "./stats";

const root = document.getElementById("app") as HTMLElement;
let config: WallConfig;
let live: LiveChannel | null = null;
let rerender: () => void = () => undefined;

async function boot(): Promise<void> {
  document.documentElement.lang = language();
  const configPath = document.querySelector<HTMLMetaElement>('meta[name="smartcity-config"]')?.content ?? "/ioc/config.json";
  config = (await (await fetch(configPath)).json()) as WallConfig;
  onLanguageChange(() => rerender());
  whenUnauthenticated(() => void leave());
  const user = await resume();
  if (user) showWall(user);
  else showSignIn();
}

function languageButton(): HTMLButtonElement {
  return h("button", { type: "button", id: "lang", "data-testid": "language", onclick: () => setLanguage(language() === "vi" ? "en" : "vi") }, t("language"));
}

function showSignIn(error?: string): void {
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const message = h("p", { class: "error", role: "alert", "data-testid": "signin-error" }, error ?? "");
  const form = h(
    "form",
    {
      class: "signin",
      "data-testid": "signin",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        try {
          showWall(await signIn(username.value.trim(), password.value));
        } catch (failure) {
          message.textContent = `${t("signInFailed")}: ${failure instanceof Error ? failure.message : String(failure)}`;
        }
      },
    },
    h("h1", {}, t("title")),
    h("h2", {}, t("signInTitle")),
    h("label", { for: "username" }, t("username")),
    username,
    h("label", { for: "password" }, t("password")),
    password,
    h("button", { type: "submit", id: "signin" }, t("signIn")),
    message,
    languageButton(),
  );
  rerender = () => showSignIn(message.textContent ?? undefined);
  replace(root, form);
}

async function leave(): Promise<void> {
  live?.stop();
  live = null;
  await signOut();
  setAccessToken(null);
  showSignIn();
}

function notice(area: HTMLElement, text: string, bad = false): void {
  const item = h("div", { class: `notice${bad ? " bad" : ""}`, role: "status" }, text);
  area.append(item);
  window.setTimeout(() => item.remove(), 4000);
}

function showWall(user: UserSummary): void {
  stats.signedInAt = performance.now();
  const mapElement = h("div", { id: "map", "data-testid": "map" });
  const liveState = h("div", { id: "live-state", "data-testid": "live-state", "data-state": stats.socketState });
  const notices = h("div", { class: "notices" });
  const details = new Details();
  const kpis = new Kpis();
  const alarms = new AlarmList({
    focus: (alarm) => {
      if (alarm.location) wall.flyTo(alarm.location.lon, alarm.location.lat);
      if (alarm.device_id) void details.device(alarm.device_id).catch(() => undefined);
    },
    notice: (text, bad) => notice(notices, text, bad),
  });
  const incidents = new IncidentList((incident) => {
    if (incident.location) wall.flyTo(incident.location.lon, incident.location.lat);
    void details.incident(incident.id).catch(() => undefined);
  });
  const hotspots = h("input", { type: "checkbox", id: "hotspots", onchange: (e: Event) => wall.setHotspotsVisible((e.target as HTMLInputElement).checked) });
  const header = h("header", { class: "top" });
  const renderHeader = () => {
    replace(
      header,
      h("h1", {}, t("title")),
      h("label", { class: "toggle" }, hotspots, t("hotspots")),
      liveState,
      h("span", { class: "who" }, user.display_name ?? user.username ?? ""),
      languageButton(),
      h("button", { type: "button", id: "signout", onclick: () => void leave() }, t("signOut")),
    );
    const words = { idle: t("connecting"), connecting: t("connecting"), live: t("live"), reconnecting: t("reconnecting"), closed: t("offline") };
    liveState.textContent = words[stats.socketState];
    liveState.dataset.state = stats.socketState;
  };
  const panel = h("aside", { class: "panel" }, alarms.element, details.element, incidents.element, kpis.element);
  const legendSlot = h("div", { class: "legend-slot" }, legend());
  replace(root, h("div", { class: "wall" }, header, h("main", {}, mapElement, legendSlot, panel), notices));

  const pickFeature = (picked: Picked) => {
    const id = String(picked.properties.id ?? "");
    if (!id) return;
    const layer = picked.layer.replace(/^live-/, "");
    if (layer === "incidents") void details.incident(id).catch(() => undefined);
    else if (layer === "devices") void details.device(id).catch(() => undefined);
  };
  const wall = new WallMap(mapElement, config, pickFeature);
  rerender = () => {
    renderHeader();
    replace(legendSlot, legend());
    alarms.render();
    incidents.render();
    void kpis.load(user.unit_code);
  };
  renderHeader();

  const reload = () => {
    void alarms.load().catch((error) => notice(notices, String(error), true));
    void incidents.load();
  };
  reload();
  void kpis.load(user.unit_code);

  live = new LiveChannel(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${config.ws_path}`, getAccessToken() ?? "", {
    event: (event) => applyEvent(event, alarms, wall, incidents),
    state: () => renderHeader(),
    gap: () => {
      notice(notices, t("gap"));
      reload();
    },
  });
  onNewAccessToken((token) => live?.renew(token));
  const channel = live;
  setSocketHooks(
    (hold) => channel.drop(hold),
    () => channel.release(),
  );
  channel.start();
}

function alarmOf(event: EventEnvelope): Alarm | null {
  const data = event.data.alarm as (Omit<Alarm, "id"> & { alarm_id: string }) | undefined;
  if (!data) return null;
  const { alarm_id, ...rest } = data;
  return { ...rest, id: alarm_id, unit_code: event.unit_code ?? undefined, location: event.location };
}

function applyEvent(event: EventEnvelope, alarms: AlarmList, wall: WallMap, incidents: IncidentList): void {
  const where = event.location;
  if (event.type.startsWith("alerts.incident_")) {
    if (event.type === "alerts.incident_created" && where) wall.flash(where.lon, where.lat, "#bc8cff");
    wall.reloadSoon("incidents");
    incidents.reloadSoon();
  } else if (event.type === "alerts.field_staff_moved") {
    const data = event.data as { user_id: string; display_name?: string; available: boolean; on_duty: boolean; lat: number | null; lon: number | null };
    if (data.on_duty && data.lat !== null && data.lon !== null) wall.upsert("live-staff", data.user_id, data.lon, data.lat, { name: data.display_name, available: data.available, kind: "field-staff" });
    else wall.remove("live-staff", data.user_id);
  } else if (event.type.startsWith("alerts.")) {
    const alarm = alarmOf(event);
    if (!alarm) return;
    const isNew = alarms.apply(event.type, alarm);
    if (where) {
      if (alarm.status.startsWith("cleared")) wall.remove("live-alarms", alarm.id);
      else wall.upsert("live-alarms", alarm.id, where.lon, where.lat, { severity: alarm.severity, status: alarm.status, kind: "alarms" });
      if (isNew) wall.flash(where.lon, where.lat, SEVERITY_COLOURS[alarm.severity] ?? "#fff");
    }
    wall.reloadSoon("alarms");
  } else if (event.type === "devices.updated") {
    const devices = (event.data.devices ?? []) as Array<{ id: string; type: string; online: boolean; metrics: Record<string, number>; location: { lat: number; lon: number } }>;
    for (const device of devices) {
      const level = levelOf(config.levels, device.type, device.metrics);
      wall.upsert("live-devices", device.id, device.location.lon, device.location.lat, { type: device.type, online: device.online, kind: "devices", ...(level ?? {}) });
    }
  } else if (event.type === "devices.online" || event.type === "devices.offline") {
    wall.reloadSoon("devices");
  } else if (event.type.startsWith("feedback.")) {
    if (event.type === "feedback.created" && where && event.subject_id) {
      wall.upsert("live-reports", event.subject_id, where.lon, where.lat, { status: event.data.status, kind: "reports" });
      wall.flash(where.lon, where.lat, "#39c5cf");
    }
    wall.reloadSoon("reports");
  } else if (event.type.startsWith("warnings.")) {
    wall.reloadSoon("warnings");
  }
}

void boot().catch((error) => {
  replace(root, h("p", { class: "error" }, String(error)));
});
