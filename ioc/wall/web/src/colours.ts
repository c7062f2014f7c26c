// Colours of the map and the side panel, one place for both.

export const SEVERITY_COLOURS: Record<string, string> = {
  critical: "#e5243b",
  major: "#f5821f",
  minor: "#f2c230",
  warning: "#3d8bfd",
  indeterminate: "#9aa3ad",
};

// Device levels 0 (normal) .. 4 (danger), as ioc/map/levels.py names them.
export const LEVEL_COLOURS = ["#2ea043", "#a0c83a", "#f2c230", "#f5821f", "#e5243b"];
export const DEVICE_NO_LEVEL = "#3d8bfd";
export const DEVICE_OFFLINE = "#6e7681";
