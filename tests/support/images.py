"""Image bytes for upload tests."""

import io

from PIL import Image


def image_bytes(fmt: str = "PNG", size=(8, 8), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def png(color=(200, 30, 30), size=(8, 8)) -> bytes:
    return image_bytes("PNG", size, color)


def jpeg_with_exif(make: str = "SpyCam Inc.", gps: bool = True) -> bytes:
    """A JPEG that carries a camera make and (by default) GPS coordinates in EXIF."""
    exif = Image.Exif()
    exif[0x010F] = make
    if gps:
        exif[0x8825] = {1: "N", 2: (41.0, 17.0, 58.2), 3: "E", 4: (69.0, 14.0, 24.4)}
    return image_bytes("JPEG", (32, 24), (10, 120, 200), exif=exif)
