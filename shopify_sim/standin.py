"""A stand-in static file host: answers a URL path with a generated file of
the type the path names, so the simulator's downloads (SIM_FETCH_ORIGINS) have
real bytes to fetch without the internet.

The rule, the same for every caller (the conformance runner's stand-in
internet, the tests' Cloudinary delivery server, the demo):

- a path with an empty segment (`//`, as an empty Cloudinary cloud name
  makes, or a trailing `/`) names no file: 404;
- the file's format is the last segment's extension, or, when the last
  segment has none, the segment itself when it is a format name (placeholder
  services write `/600x400/png`);
- images (jpg, jpeg, png, gif, webp, bmp, tif, tiff) are real images made
  with Pillow, W×H pixels when a path segment is `WxH` (as placeholder
  services write), else 100×100; mp4/mov/m4v are a minimal ISO-BMFF file
  (ftyp, moov with mvhd and one tkhd: 1 s, 640×360), webm an EBML header,
  pdf a one-page PDF, glb a glTF 2.0 binary header, svg a small SVG;
- any other format: 404 (a static host has no such file).

`python -m shopify_sim.standin --port 8800` serves it on its own.
"""
from __future__ import annotations

import functools
import io
import mimetypes
import re
import struct
from typing import Any, Callable, Iterable, Optional
from urllib.parse import unquote

from werkzeug import serving
from werkzeug.serving import WSGIRequestHandler

IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP",
                 "tif": "TIFF", "tiff": "TIFF"}
VIDEO_FORMATS = {"mp4": "video/mp4", "m4v": "video/x-m4v", "mov": "video/quicktime", "webm": "video/webm"}
OTHER_FORMATS = {"pdf": "application/pdf", "glb": "model/gltf-binary", "svg": "image/svg+xml"}
DEFAULT_SIZE = (100, 100)
MAX_GENERATED_PIXELS = 25_000_000  # a stand-in, not a render farm
_SIZE_SEGMENT = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def file_format(path: str) -> Optional[str]:
    """The format a URL path names, or None (the path names no file)."""
    segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    if not segments or any(s == "" for s in segments):
        return None
    last = unquote(segments[-1])
    ext = last.rsplit(".", 1)[1].lower() if "." in last else last.lower()
    if ext in IMAGE_FORMATS or ext in VIDEO_FORMATS or ext in OTHER_FORMATS:
        return ext
    return None


def image_size(path: str) -> tuple[int, int]:
    for segment in path.split("/"):
        m = _SIZE_SEGMENT.match(segment.split(".", 1)[0])
        if m and 0 < int(m[1]) * int(m[2]) <= MAX_GENERATED_PIXELS:
            return int(m[1]), int(m[2])
    return DEFAULT_SIZE


def content(path: str) -> Optional[tuple[str, bytes]]:
    """(content type, bytes) served at `path`, or None for a 404."""
    fmt = file_format(path)
    if fmt is None:
        return None
    if fmt in IMAGE_FORMATS:
        width, height = image_size(path)
        return mimetypes.types_map.get("." + fmt, f"image/{fmt}"), generated_image(IMAGE_FORMATS[fmt], width, height)
    if fmt in VIDEO_FORMATS:
        return VIDEO_FORMATS[fmt], (WEBM if fmt == "webm" else mp4_bytes(1000, 640, 360))
    return OTHER_FORMATS[fmt], {"pdf": PDF, "glb": GLB, "svg": SVG}[fmt]


@functools.lru_cache(maxsize=64)
def generated_image(pillow_format: str, width: int, height: int) -> bytes:
    from PIL import Image
    mode = "P" if pillow_format == "GIF" else "RGB"
    image = Image.new(mode, (width, height), 96 if mode == "P" else (96, 128, 160))
    out = io.BytesIO()
    image.save(out, format=pillow_format)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4_bytes(duration_ms: int, width: int, height: int) -> bytes:
    """A minimal ISO base media file: what a video inspector reads first
    (brand, duration, track dimensions); no media samples."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isommp42")
    mvhd = _box(b"mvhd", struct.pack(">I", 0) + struct.pack(">IIII", 0, 0, 1000, duration_ms)
                + struct.pack(">IH", 0x10000, 0x100) + bytes(10) + _MATRIX + bytes(24) + struct.pack(">I", 2))
    tkhd = _box(b"tkhd", struct.pack(">I", 3) + struct.pack(">IIIII", 0, 0, 1, 0, duration_ms) + bytes(8)
                + struct.pack(">hhhH", 0, 0, 0, 0) + _MATRIX + struct.pack(">II", width << 16, height << 16))
    return ftyp + _box(b"moov", mvhd + _box(b"trak", tkhd))


WEBM = bytes.fromhex("1a45dfa3") + bytes.fromhex("9f4286810142f7810142f2810442f381084282847765626d")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
GLB = b"glTF" + struct.pack("<II", 2, 12)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>'


def wsgi_app(resolve: Callable[[str], Optional[tuple[str, bytes]]] = content) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving `resolve(path)` (GET and HEAD), 404 otherwise.
    Plain WSGI, not a routing framework: the raw path reaches the rule, empty
    segments included (a router would merge or redirect them)."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path = path.split("?", 1)[0]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        found = resolve(path)
        if found is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            start_response("404 Not Found", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        else:
            content_type, body = found
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]
    return app


class RawPathHandler(WSGIRequestHandler):
    """Keeps the request target exactly as sent: Python's http.server folds a
    leading `//` into `/` (a safety measure for file servers), which would
    turn Cloudinary's empty-cloud-name path into another, valid-looking one."""

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        parts = self.raw_requestline.decode("latin-1").split()
        if len(parts) >= 2:
            environ["RAW_URI"] = environ["REQUEST_URI"] = parts[1]
        return environ

    def log_request(self, *args: Any) -> None:
        """Quiet: a download burst would print one line per file."""


def make_server(resolve: Callable[[str], Optional[tuple[str, bytes]]] = content, host: str = "127.0.0.1",
                port: int = 0) -> Any:
    """A threaded werkzeug server for `wsgi_app(resolve)` (the caller serves and shuts it down)."""
    return serving.make_server(host, port, wsgi_app(resolve), threaded=True, request_handler=RawPathHandler)


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m shopify_sim.standin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    args = parser.parse_args()
    make_server(host=args.host, port=args.port).serve_forever()


if __name__ == "__main__":
    main()
