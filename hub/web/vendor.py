"""Front-end libraries from the npm registry, served by the hub itself (a county intranet
reaches no CDN): hub/web/package.json pins them, package-lock.json pins every file, and
`make web` (which `make test` and `make demo` run) installs them with `npm ci` into
hub/web/node_modules. A wheel built after that carries the files it serves (pyproject's
package data); a hub installed without them answers 503 with the command that installs them.

Apache ECharts (Apache-2.0; its bundle includes ZRender, BSD-3-Clause, and tslib, 0BSD)
draws the indicators page's charts. Swagger UI (npm swagger-ui-dist, Apache-2.0; its bundle's
third-party notices are in swagger-ui-bundle.js.LICENSE.txt beside it) draws /docs.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from hub.errors import AssetMissing, NotFound

log = logging.getLogger("bianmin.hub.web")
router = APIRouter(include_in_schema=False)

PREFIX = "/static/vendor"
# served name -> its file under node_modules; a fixed set, so no URL reaches the file system
FILES = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def web_dir() -> Path:
    return Path(str(resources.files("hub.web")))


def vendor_file(name: str, root: Path | None = None) -> Path:
    """The installed file behind ``name``, or AssetMissing saying how to install it."""
    base = root if root is not None else web_dir()
    path = base / "node_modules" / FILES[name]
    if not path.is_file():
        raise AssetMissing(
            f"{name} is not installed in {base / 'node_modules'}: run `make web` in a source "
            f"checkout, or `npm ci --prefix {base}` where the hub is installed (needs node and "
            "npm: apt-get install nodejs npm)"
        )
    return path


def available(name: str, root: Path | None = None) -> bool:
    try:
        vendor_file(name, root)
    except AssetMissing as exc:
        log.warning("%s", exc)
        return False
    return True


@router.get(PREFIX + "/{name}")
def vendor(name: str) -> Response:
    if name not in FILES:
        raise NotFound(f"no file {name!r}")
    return Response(
        vendor_file(name).read_bytes(),
        media_type=_TYPES[name[name.rfind(".") :]],
        headers={"cache-control": "public, max-age=86400"},
    )
