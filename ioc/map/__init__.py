"""The operations centre's map: layers as GeoJSON and Mapbox vector tiles, scoped to who asks."""
