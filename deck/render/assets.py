"""Files that go inside the HTML deck: themes, fonts, images, the runtime, as data URIs.

Only files inside the project (or deck's own package data) are read: a path that leaves it is
refused with the location of the slide that asked for it.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import io
import mimetypes
import re
import warnings
from pathlib import Path

from ..errors import DeckError, Location, SourceError
from ..shared.files import display_path, read_regular

PACKAGE = Path(__file__).resolve().parent
THEMES = PACKAGE / "themes"
RUNTIME = PACKAGE / "runtime"
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}  # what Pillow calls the raster types of IMAGE_TYPES
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def theme_css(theme: str) -> str:
    """The theme's whole CSS: its fonts and its rules."""
    return font_css() + "\n" + theme_rules(theme)


@functools.lru_cache(maxsize=1)
def font_css() -> str:
    """The @font-face rules of the fonts every theme uses, their files inlined."""
    return _inlined(THEMES / "fonts.css")


@functools.lru_cache(maxsize=16)
def theme_rules(theme: str) -> str:
    """The theme's rules (base + theme), without the fonts."""
    return "\n".join(_inlined(path) for path in (THEMES / "base.css", THEMES / theme / "theme.css") if path.is_file())


def _inlined(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    return CSS_URL.sub(lambda m: _inline_css_url(m, path.parent), css)


def _inline_css_url(match: re.Match, base: Path) -> str:
    target = (base / match.group(1)).resolve()
    if not target.is_relative_to(PACKAGE) or not target.is_file():  # deck's own files are incomplete
        raise DeckError(f"deck's theme file {display_path(target)} is missing: reinstall deck, or restore "
                        "deck/render/themes")
    mime = mimetypes.guess_type(target.name)[0] or ("font/woff" if target.suffix == ".woff" else "application/octet-stream")
    return f'url("{data_uri(target.read_bytes(), mime)}")'


@functools.lru_cache(maxsize=4)
def runtime_file(name: str) -> str:
    path = RUNTIME / name
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def image_uri(src: str, source_dir: Path, project_root: Path, location: Location) -> str:
    """An image path from a slide, resolved inside the project and returned as a data URI."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith("//"):
        raise SourceError(f"image {src!r}: only files inside the project can be shown (no URLs)", location)
    if "\0" in src:
        raise SourceError(f"image {src!r}: a file name cannot hold a NUL character", location)
    if src.startswith(("/", "\\")):
        raise SourceError(f"image {src!r}: use a path relative to the slide source, not an absolute path", location)
    target = (source_dir / src).resolve()
    if not target.is_relative_to(project_root.resolve()):
        raise SourceError(f"image {src!r} is outside the project", location)
    mime = IMAGE_TYPES.get(target.suffix.lower())
    if mime is None:
        raise SourceError(f"image {src!r}: unsupported type (use png, jpg, gif, svg or webp)", location)
    try:
        data = read_regular(target)
    except OSError as exc:
        raise SourceError(f"image {src!r} cannot be read: {exc.strerror or exc}", location) from None
    problem = image_problem(data, mime)
    if problem:  # WeasyPrint would leave it out of the PDF without a word, a browser show a broken icon
        raise SourceError(f"image {src!r} cannot be drawn: {problem}", location)
    return data_uri(data, mime)


@functools.lru_cache(maxsize=256)
def image_problem(data: bytes, mime: str) -> str | None:
    """Why an image file cannot be drawn (None when it can): an SVG that is not a well-formed SVG
    document or declares a DOCTYPE (entities: WeasyPrint refuses them), a raster file that is not
    what its name says, truncated, or of more pixels than Pillow decodes (a decompression bomb)."""
    if mime == "image/svg+xml":
        return _svg_problem(data)
    from PIL import Image, UnidentifiedImageError

    expected = mime.removeprefix("image/").upper()
    try:
        with warnings.catch_warnings(), _truncated_refused():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in RASTER_FORMATS:  # another format named .png is drawn all the same
                    return f"it is not a {expected} file (it holds {image.format or 'something else'})"
                image.load()  # decodes every pixel: a truncated file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (f"it has more pixels than an image may have ({Image.MAX_IMAGE_PIXELS:,}): scale it down")
    except UnidentifiedImageError:
        return f"it is not a {expected} file"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow's decoders raise all of these
        return f"the {expected} file is damaged ({exc})"
    return None


@contextlib.contextmanager
def _truncated_refused():
    """Pillow decodes a truncated file as far as it goes once WeasyPrint is imported (which sets
    `LOAD_TRUNCATED_IMAGES` for the whole process): while an image is judged, it refuses it again."""
    from PIL import ImageFile

    previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _svg_problem(data: bytes) -> str | None:
    import xml.etree.ElementTree as ET

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        return "the SVG declares a DOCTYPE or entities (remove them: a slide's SVG needs neither)"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return f"the SVG is not well-formed XML ({exc})"
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return "the file is XML but not an SVG document (its root element is not <svg>)"
    return None
