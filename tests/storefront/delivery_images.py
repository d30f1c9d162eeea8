"""Answers for requests to Cloudinary's delivery host in browser tests (no
internet here): a generated JPEG the size the URL asks for (w_, ar_), coloured
per public ID and labelled with it, so screenshots show which asset is where."""
from __future__ import annotations

import hashlib
import io
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageDraw, ImageFont

PALETTE = [(214, 96, 77), (73, 130, 188), (94, 160, 110), (226, 170, 74), (137, 105, 181), (84, 158, 160),
           (200, 110, 150)]


def _size(components: list[str]) -> tuple[int, int]:
    width, ratio = 1024, 1.0
    for component in components:
        for param in component.split(","):
            if param.startswith("w_") and param[2:].isdigit():
                width = int(param[2:])
            if param.startswith("ar_") and ":" in param:
                a, b = param[3:].split(":", 1)
                ratio = float(b) / float(a)
    return width, max(1, round(width * ratio))


def delivery_image(url: str) -> tuple[bytes, str]:
    """(JPEG bytes, the public ID shown) for a res.cloudinary.com image URL."""
    path = urlsplit(url).path.split("/")[4:]  # after /<cloud>/<resource>/<type>
    version_at = next((i for i, p in enumerate(path) if p[:1] == "v" and p[1:].isdigit()), None)
    components = path[:version_at] if version_at is not None else path[:-1]
    public_id = unquote("/".join(path[version_at + 1:] if version_at is not None else path[-1:])).rsplit(".", 1)[0]
    width, height = _size(components)
    colour = PALETTE[int(hashlib.sha1(public_id.encode()).hexdigest(), 16) % len(PALETTE)]
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    inset = max(2, width // 10)
    draw.rounded_rectangle((inset, inset, width - inset, height - inset), radius=max(2, width // 20),
                           outline=(255, 255, 255), width=max(1, width // 120))
    if width >= 200:
        font = ImageFont.load_default(size=max(12, width // 22))
        label = public_id.rsplit("/", 1)[-1]
        draw.text((width / 2, height / 2), label, fill=(255, 255, 255), font=font, anchor="mm")
        small = ImageFont.load_default(size=max(10, width // 40))
        draw.text((width / 2, height - inset * 0.55), f"{width} x {height} from Cloudinary", fill=(255, 255, 255),
                  font=small, anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue(), public_id
