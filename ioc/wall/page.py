"""The HTML shell of the wall: the bundle's names and nothing else. It holds no data, so anyone may load it;
everything the wall shows comes from the API once the officer has signed in."""

from __future__ import annotations

from html import escape

from ioc.wall.assets import APP_SCRIPT, APP_STYLES, Bundle

ASSETS_PATH = "/ioc/assets"
CONFIG_PATH = "/ioc/config.json"


def render_page(bundle: Bundle) -> str:
    styles = escape(bundle.url(APP_STYLES, ASSETS_PATH), quote=True)
    script = escape(bundle.url(APP_SCRIPT, ASSETS_PATH), quote=True)
    config = escape(CONFIG_PATH, quote=True)
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="smartcity-config" content="{config}">
<title>Trung tâm điều hành IOC</title>
<link rel="stylesheet" href="{styles}">
</head>
<body>
<div id="app"><noscript>Trang điều hành cần JavaScript. / The wall needs JavaScript.</noscript></div>
<script type="module" src="{script}"></script>
</body>
</html>
"""
