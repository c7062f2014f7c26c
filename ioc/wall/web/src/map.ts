// The full-screen map: the units' vector tiles as the base map (or a configured style under them), every
// layer of the map contract as a vector source from its TileJSON, and GeoJSON overlays for what changed live
// since the tiles were loaded. A layer whose TileJSON cannot be had stays empty; the rest of the wall works.

import * as maplibregl from "maplibre-gl";
import {
  type ExpressionSpecification,
  type GeoJSONSource,
  type LayerSpecification,
  type MapGeoJSONFeature,
  type StyleSpecification,
} from "maplibre-gl";
import { getAccessToken } from "./api";
import { DEVICE_NO_LEVEL, DEVICE_OFFLINE, LEVEL_COLOURS, SEVERITY_COLOURS } from "./colours";
import type { LevelScale } from "./levels";
import { stats } from "./stats";

export interface WallConfig {
  api_base: string;
  ws_path: string;
  tiles_base: string;
  basemap_style_url: string | null;
  worker_url: string;
  layers: string[];
  levels: Record<string, LevelScale>;
}

interface TileJson {
  tiles: string[];
  minzoom?: number;
  maxzoom?: number;
  bounds?: [number, number, number, number];
  center?: [number, number, number];
}

type Feature = GeoJSON.Feature<GeoJSON.Geometry, Record<string, unknown>>;

export type Picked = { layer: string; properties: Record<string, unknown> };

// Ninh Bình (the demo province) until a TileJSON says where the province is.
const DEFAULT_CENTER: [number, number] = [106.0, 20.3];
const OVERLAYS = ["live-devices", "live-staff", "live-reports", "live-alarms"] as const;
type Overlay = (typeof OVERLAYS)[number];
const POINT_LAYERS = ["devices", "alarms", "incidents", "reports", "field-staff"];
// Live tile layers are reloaded at most this often after the events that change them.
const RELOAD_MS = 5000;
const UNITS_FALLBACK_LIMIT = 300;
const FLUSH_MS = 250;

const severityColour: ExpressionSpecification = [
  "match",
  ["get", "severity"],
  ...Object.entries(SEVERITY_COLOURS).flat(),
  SEVERITY_COLOURS.indeterminate,
] as unknown as ExpressionSpecification;

const deviceColour: ExpressionSpecification = [
  "case",
  ["==", ["get", "online"], false],
  DEVICE_OFFLINE,
  ["has", "level"],
  ["match", ["to-number", ["get", "level"]], 0, LEVEL_COLOURS[0], 1, LEVEL_COLOURS[1], 2, LEVEL_COLOURS[2], 3, LEVEL_COLOURS[3], LEVEL_COLOURS[4]],
  DEVICE_NO_LEVEL,
];

// Radius grows with a cluster's count.
const clusterRadius = (single: number): ExpressionSpecification => [
  "interpolate",
  ["linear"],
  ["coalesce", ["get", "count"], 1],
  1,
  single,
  10,
  single + 6,
  100,
  single + 12,
  1000,
  single + 18,
];

function pointLayer(id: string, source: string, sourceLayer: string | null, colour: ExpressionSpecification | string, single: number): LayerSpecification {
  const layer: Record<string, unknown> = {
    id,
    type: "circle",
    source,
    paint: {
      "circle-color": colour,
      "circle-radius": clusterRadius(single),
      "circle-stroke-color": "#0d1117",
      "circle-stroke-width": 1.5,
      "circle-opacity": 0.92,
    },
  };
  if (sourceLayer) layer["source-layer"] = sourceLayer;
  return layer as unknown as LayerSpecification;
}

// Field staff: white discs ringed green when available, grey when busy, so they never pass for devices.
const STAFF_COLOUR: ExpressionSpecification = ["case", ["==", ["get", "available"], false], "#8b949e", "#56d364"];

function staffLayer(id: string, source: string, sourceLayer: string | null): LayerSpecification {
  const layer = pointLayer(id, source, sourceLayer, "#f0f6fc", 6) as LayerSpecification & { paint: Record<string, unknown> };
  layer.paint["circle-stroke-color"] = STAFF_COLOUR;
  layer.paint["circle-stroke-width"] = 3;
  return layer;
}

function layersFor(id: string): LayerSpecification[] {
  const source = { source: id, "source-layer": id };
  switch (id) {
    case "units":
      return [
        { id: "units-fill", type: "fill", ...source, paint: { "fill-color": ["match", ["get", "level"], "province", "#161b22", "#1c2430"], "fill-opacity": 0.9 } },
        { id: "units-line", type: "line", ...source, paint: { "line-color": ["match", ["get", "level"], "province", "#8b949e", "#3b4656"], "line-width": ["match", ["get", "level"], "province", 2.5, 1] } },
      ] as LayerSpecification[];
    case "warnings":
      return [
        { id: "warnings-fill", type: "fill", ...source, paint: { "fill-color": "#f5821f", "fill-opacity": 0.18 } },
        { id: "warnings-line", type: "line", ...source, paint: { "line-color": "#f5821f", "line-width": 2, "line-dasharray": [2, 2] } },
      ] as LayerSpecification[];
    case "hotspots":
      return [
        {
          id: "hotspots-fill",
          type: "fill",
          ...source,
          layout: { visibility: "none" },
          paint: { "fill-color": "#e5243b", "fill-opacity": ["interpolate", ["linear"], ["coalesce", ["get", "count"], 0], 1, 0.1, 50, 0.6] },
        },
      ] as LayerSpecification[];
    case "devices":
      return [pointLayer("devices", id, id, deviceColour, 5)];
    case "alarms":
      return [pointLayer("alarms", id, id, severityColour, 7)];
    case "incidents":
      return [
        {
          id: "incidents",
          type: "circle",
          ...source,
          paint: { "circle-color": "rgba(0,0,0,0)", "circle-radius": clusterRadius(12), "circle-stroke-color": "#bc8cff", "circle-stroke-width": 3 },
        } as LayerSpecification,
      ];
    case "reports":
      return [pointLayer("reports", id, id, "#39c5cf", 4)];
    case "field-staff":
      return [staffLayer("field-staff", id, id)];
    default:
      return [];
  }
}

function emptyCollection(): GeoJSON.FeatureCollection {
  return { type: "FeatureCollection", features: [] };
}

export class WallMap {
  readonly map: maplibregl.Map;
  private overlays = new Map<Overlay, Map<string, Feature>>();
  private pending = new Set<Overlay>();
  private reloads = new Map<string, number>();
  private tileJson = new Map<string, TileJson>();
  private clusterMarkers: maplibregl.Marker[] = [];
  private flashes: maplibregl.Marker[] = [];
  private ready: Promise<void>;

  constructor(
    container: HTMLElement,
    private readonly config: WallConfig,
    private readonly onPick: (picked: Picked) => void,
  ) {
    maplibregl.setWorkerUrl(config.worker_url);
    const style: StyleSpecification | string = config.basemap_style_url ?? {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#0b0f14" } }],
    };
    this.map = new maplibregl.Map({
      container,
      style,
      center: DEFAULT_CENTER,
      zoom: 9,
      attributionControl: false,
      // The access token goes with every tile request to our own tiles, never to a base map elsewhere.
      transformRequest: (url) => {
        const token = getAccessToken();
        if (token && new URL(url, location.href).origin === location.origin) {
          return { url, headers: { Authorization: `Bearer ${token}` } };
        }
        return { url };
      },
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
    this.map.once("idle", () => {
      stats.firstMapIdleAt = performance.now();
    });
    this.map.on("error", (event) => console.warn("map:", event.error?.message ?? event));
    this.ready = new Promise((resolve) => this.map.once("load", () => resolve()));
    void this.ready.then(() => this.addLayers());
    this.map.on("idle", () => this.drawClusterCounts());
  }

  private async loadTileJson(layer: string): Promise<TileJson | null> {
    const headers: Record<string, string> = {};
    const token = getAccessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      const response = await fetch(`${this.config.tiles_base}/${layer}.json`, { headers });
      if (!response.ok) throw new Error(`${response.status}`);
      const tileJson = (await response.json()) as TileJson;
      if (!Array.isArray(tileJson.tiles) || tileJson.tiles.length === 0) throw new Error("no tiles");
      stats.tileJsonLoaded.push(layer);
      return tileJson;
    } catch (error) {
      stats.tileJsonFailed.push(layer);
      console.warn(`layer ${layer}: no TileJSON (${String(error)}); it stays empty`);
      return null;
    }
  }

  private async addLayers(): Promise<void> {
    const loaded = await Promise.all(this.config.layers.map(async (layer) => [layer, await this.loadTileJson(layer)] as const));
    for (const [layer, tileJson] of loaded) {
      if (!tileJson) {
        if (layer === "units") await this.unitsFromGeoJson();
        continue;
      }
      this.tileJson.set(layer, tileJson);
      this.map.addSource(layer, {
        type: "vector",
        tiles: tileJson.tiles,
        minzoom: tileJson.minzoom ?? 0,
        maxzoom: tileJson.maxzoom ?? 14,
        bounds: tileJson.bounds,
      });
      for (const spec of layersFor(layer)) this.map.addLayer(spec);
      if (layer === "units" && tileJson.bounds) {
        this.map.fitBounds(tileJson.bounds, { padding: 40, animate: false });
      }
    }
    this.addOverlays();
    for (const layer of [...POINT_LAYERS, "live-devices", "live-staff", "live-reports", "live-alarms"]) {
      if (!this.map.getLayer(layer)) continue;
      this.map.on("click", layer, (event) => {
        const feature = event.features?.[0] as MapGeoJSONFeature | undefined;
        if (feature) this.onPick({ layer: String(feature.properties.kind ?? layer), properties: feature.properties });
      });
      this.map.on("mouseenter", layer, () => (this.map.getCanvas().style.cursor = "pointer"));
      this.map.on("mouseleave", layer, () => (this.map.getCanvas().style.cursor = ""));
    }
  }

  /** Without the units' tiles the boundaries still come from the public units API, so the wall keeps its
   * base map (a province has about a hundred wards: a few small requests, once). */
  private async unitsFromGeoJson(): Promise<void> {
    try {
      const units = (await (await fetch(`${this.config.api_base}/units`)).json()) as Array<{ code: string }>;
      const features = await Promise.all(
        units.slice(0, UNITS_FALLBACK_LIMIT).map(async (unit) => (await (await fetch(`${this.config.api_base}/units/${unit.code}`)).json()) as Feature),
      );
      const data: GeoJSON.FeatureCollection = {
        type: "FeatureCollection",
        features: features.filter((f) => f?.geometry).map((f) => ({ ...f, properties: { ...f.properties, level: f.properties.level } })),
      };
      this.map.addSource("units", { type: "geojson", data });
      for (const spec of layersFor("units")) {
        const { "source-layer": _ignored, ...geojsonLayer } = spec as LayerSpecification & { "source-layer"?: string };
        this.map.addLayer(geojsonLayer as LayerSpecification);
      }
      const bounds = new maplibregl.LngLatBounds();
      for (const feature of data.features) {
        if (feature.geometry.type !== "MultiPolygon") continue;
        for (const polygon of feature.geometry.coordinates) for (const [lon, lat] of polygon[0]) bounds.extend([lon, lat]);
      }
      if (!bounds.isEmpty()) this.map.fitBounds(bounds, { padding: 40, animate: false });
    } catch (error) {
      console.warn(`units: no boundaries either (${String(error)})`);
    }
  }

  private addOverlays(): void {
    const colours: Record<Overlay, [ExpressionSpecification | string, number]> = {
      "live-devices": [deviceColour, 5],
      "live-staff": [STAFF_COLOUR, 6],
      "live-reports": ["#39c5cf", 4],
      "live-alarms": [severityColour, 8],
    };
    for (const overlay of OVERLAYS) {
      this.overlays.set(overlay, new Map());
      this.map.addSource(overlay, { type: "geojson", data: emptyCollection() });
      this.map.addLayer(overlay === "live-staff" ? staffLayer(overlay, overlay, null) : pointLayer(overlay, overlay, null, ...colours[overlay]));
    }
  }

  setHotspotsVisible(visible: boolean): void {
    if (this.map.getLayer("hotspots-fill")) this.map.setLayoutProperty("hotspots-fill", "visibility", visible ? "visible" : "none");
  }

  /** Put or move a feature of an overlay; the tile's copy of the same id is hidden meanwhile. */
  upsert(overlay: Overlay, id: string, lon: number, lat: number, properties: Record<string, unknown>): void {
    const features = this.overlays.get(overlay);
    if (!features) return;
    features.set(id, { type: "Feature", id, geometry: { type: "Point", coordinates: [lon, lat] }, properties: { ...properties, id, count: 1 } });
    this.schedule(overlay);
  }

  remove(overlay: Overlay, id: string): void {
    if (this.overlays.get(overlay)?.delete(id)) this.schedule(overlay);
  }

  private schedule(overlay: Overlay): void {
    // A burst of updates costs one setData per overlay every FLUSH_MS: each one re-tiles the overlay in the
    // worker and redraws the map, too dear to do on every frame at a hundred updates a second.
    if (this.pending.size === 0) window.setTimeout(() => requestAnimationFrame(() => this.flush()), FLUSH_MS);
    this.pending.add(overlay);
  }

  private flush(): void {
    const hidden: Record<Overlay, string> = { "live-devices": "devices", "live-staff": "field-staff", "live-reports": "reports", "live-alarms": "alarms" };
    for (const overlay of this.pending) {
      const features = this.overlays.get(overlay);
      const source = this.map.getSource(overlay) as GeoJSONSource | undefined;
      if (!features || !source) continue;
      source.setData({ type: "FeatureCollection", features: [...features.values()] });
      const tileLayer = hidden[overlay];
      if (this.map.getLayer(tileLayer)) {
        const ids = [...features.keys()];
        this.map.setFilter(tileLayer, ids.length ? ["!", ["in", ["coalesce", ["get", "id"], ""], ["literal", ids]]] : null);
      }
    }
    this.pending.clear();
  }

  /** Reload a live tile layer soon (coalescing a burst of events into one reload). */
  reloadSoon(layer: string): void {
    if (this.reloads.has(layer) || !this.tileJson.has(layer)) return;
    this.reloads.set(
      layer,
      window.setTimeout(() => {
        this.reloads.delete(layer);
        const source = this.map.getSource(layer) as maplibregl.VectorTileSource | undefined;
        const tileJson = this.tileJson.get(layer);
        if (source && tileJson) source.setTiles(tileJson.tiles);
      }, RELOAD_MS),
    );
  }

  /** A pulsing ring where something new happened. */
  flash(lon: number, lat: number, colour: string): void {
    // The marker's own transform places it; the pulse scales an inner ring so the two never fight.
    const element = document.createElement("div");
    element.className = "flash";
    const ring = document.createElement("div");
    ring.className = "flash-ring";
    ring.style.setProperty("--flash", colour);
    element.append(ring);
    const marker = new maplibregl.Marker({ element }).setLngLat([lon, lat]).addTo(this.map);
    this.flashes.push(marker);
    window.setTimeout(() => {
      marker.remove();
      this.flashes = this.flashes.filter((item) => item !== marker);
    }, 6000);
  }

  flyTo(lon: number, lat: number): void {
    this.map.easeTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 13) });
  }

  private drawClusterCounts(): void {
    // Text on the map would need glyphs from a server; clusters' counts are small HTML labels instead.
    for (const marker of this.clusterMarkers) marker.remove();
    this.clusterMarkers = [];
    const layers = POINT_LAYERS.filter((layer) => this.map.getLayer(layer));
    if (!layers.length) return;
    const clusters = this.map.queryRenderedFeatures({ layers }).filter((feature) => Number(feature.properties.count ?? 1) > 1);
    for (const feature of clusters.slice(0, 300)) {
      if (feature.geometry.type !== "Point") continue;
      const element = document.createElement("div");
      element.className = "cluster-count";
      element.textContent = String(feature.properties.count);
      const [lon, lat] = feature.geometry.coordinates as [number, number];
      this.clusterMarkers.push(new maplibregl.Marker({ element }).setLngLat([lon, lat]).addTo(this.map));
    }
  }
}
