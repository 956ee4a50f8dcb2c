"""The deck's PDF from its slides' PDFs (pdf.py renders them one by one): pages, one copy of each
font, the structure tree (tags), one bookmark per slide, page labels and the metadata.

With pikepdf (qpdf): pages and everything they reference are copied with one object map per slide,
so the structure tree copied after its pages still points at them, and qpdf writes only what the
document reaches, with a deterministic ID (same slides -> same bytes).

Fonts: WeasyPrint subsets each font per document, keeping the full font's glyph ids for the glyphs
text uses, and names it after its description, so one font's subsets from several slides have the
same name and agree on those ids. They are merged here into one subset (the union of the glyphs,
widths and text mappings; see `merge_truetype`), shared by every page, as a whole-document render
would have it. A font that cannot be merged stays one copy per slide, still correct.
"""
from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass, field
from typing import Any, cast
from xml.sax.saxutils import escape

import pikepdf


@dataclass
class SlidePages:
    """One slide's PDF and the label its pages get (its number)."""

    data: bytes
    label: str


def assemble(slides: list[SlidePages], created: str = "") -> bytes:
    """One PDF of every slide's pages, in order. The document's title, author, language and producer
    are the first slide's (its print document carries the deck's); `created`: a W3C date, or none."""
    out = pikepdf.new()
    tree = _StructureTree(out)
    fonts = _Fonts()
    outline: list[tuple[str, pikepdf.Array]] = []
    dests: dict[str, object] = {}
    labels = []
    sources: list[pikepdf.Pdf] = []  # kept open until saved: copied objects are read from them lazily
    info: dict[str, str] = {}
    lang = ""
    for slide in slides:
        src = pikepdf.open(io.BytesIO(slide.data))
        if not sources:
            info = {key: str(src.docinfo.get(key, "")) for key in ("/Title", "/Author", "/Creator", "/Producer")}
            lang = str(src.Root.get("/Lang", ""))
        sources.append(src)
        first = len(out.pages)
        labels.append((first, slide.label))
        for page in src.pages:
            out.pages.append(page)
        pages = [out.pages[i] for i in range(first, len(out.pages))]
        tree.add(src, pages)
        fonts.collect(pages)
        item = cast(Any, src.Root).get("/Outlines", {}).get("/First")  # pikepdf objects or the empty defaults
        if item is not None:
            outline.append((str(item.Title), _copy(out, item.Dest)))
        names = cast(Any, src.Root).get("/Names", {}).get("/Dests", {}).get("/Names", [])
        for i in range(0, len(names), 2):
            dests[str(names[i])] = _copy(out, names[i + 1])
    fonts.merge(out)
    tree.finish()
    root = out.Root
    if outline:
        _write_outline(out, outline)
    if dests:
        flat = pikepdf.Array()
        for name in sorted(dests):
            flat.append(pikepdf.String(name))
            flat.append(dests[name])
        root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=flat))
    root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(
        [x for first, label in labels for x in (first, pikepdf.Dictionary(P=pikepdf.String(label)))]))
    _write_metadata(out, info, lang, created)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, min_version="1.7", compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for src in sources:
        src.close()
    return buffer.getvalue()


def _copy(out: pikepdf.Pdf, obj):
    """An object of a slide's PDF in the deck's (qpdf copies indirect objects only: direct arrays
    and dictionaries are walked)."""
    if isinstance(obj, (pikepdf.Array, pikepdf.Dictionary)) and not obj.is_indirect:
        if isinstance(obj, pikepdf.Array):
            return pikepdf.Array([_copy(out, x) for x in obj])
        return pikepdf.Dictionary({k: _copy(out, v) for k, v in obj.items()})
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return out.copy_foreign(obj)
    return obj


# --- the structure tree ----------------------------------------------------------------------------
class _StructureTree:
    """One Document element holding each slide's elements; the parent tree renumbered."""

    def __init__(self, out: pikepdf.Pdf):
        self.out = out
        self.kids = pikepdf.Array()
        self.nums: list[tuple[int, object]] = []
        self.present = False

    def add(self, src: pikepdf.Pdf, pages: list[pikepdf.Page]) -> None:
        root = src.Root.get("/StructTreeRoot")
        if root is None:
            return
        self.present = True
        source_nums = root.ParentTree.Nums
        values = {int(source_nums[i]): source_nums[i + 1] for i in range(0, len(source_nums), 2)}
        moved: dict[int, int] = {}

        def renumber(obj, key: str) -> None:
            old = obj.get(key)
            if old is not None and int(old) in values:
                moved[int(old)] = len(self.nums) + len(moved)
                obj[key] = moved[int(old)]

        for page in pages:  # pages first, then their links: as WeasyPrint numbers them
            renumber(page.obj, "/StructParents")
        for page in pages:
            for annot in page.obj.get("/Annots", []):
                renumber(annot, "/StructParent")
        for old, new in sorted(moved.items(), key=lambda kv: kv[1]):
            self.nums.append((new, _copy(self.out, values[old])))
        for kid in _copy(self.out, root.K[0].K):
            self.kids.append(kid)

    def finish(self) -> None:
        if not self.present:
            return
        out = self.out
        document = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=self.kids))
        for kid in self.kids:
            kid.P = document
        parent_tree = out.make_indirect(pikepdf.Dictionary(
            Nums=pikepdf.Array([x for key, value in self.nums for x in (key, value)])))
        struct_root = out.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array([document]), ParentTree=parent_tree,
            ParentTreeNextKey=len(self.nums)))
        document.P = struct_root
        out.Root.StructTreeRoot = struct_root
        out.Root.MarkInfo = pikepdf.Dictionary(Marked=True)


def _write_outline(out: pikepdf.Pdf, items: list[tuple[str, pikepdf.Array]]) -> None:
    outlines = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, Count=len(items)))
    entries = [out.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(title), Dest=dest, Parent=outlines))
               for title, dest in items]
    for before, after in zip(entries, entries[1:]):
        before.Next, after.Prev = after, before
    outlines.First, outlines.Last = entries[0], entries[-1]
    out.Root.Outlines = outlines


def _pdf_date(w3c: str) -> str:
    """2024-10-25T08:00:00Z -> D:20241025080000Z (the form WeasyPrint writes)."""
    digits = re.sub(r"\D", "", w3c[:19])
    return f"D:{digits}Z" if w3c.endswith("Z") else f"D:{digits}"


def _write_metadata(out: pikepdf.Pdf, info: dict[str, str], lang: str, created: str) -> None:
    """The document information, the XMP packet of PDF/UA-1, the language, the title shown."""
    if created:
        info["/CreationDate"] = _pdf_date(created)
    out.trailer.Info = out.make_indirect(pikepdf.Dictionary({k: pikepdf.String(v) for k, v in info.items() if v}))
    if lang:
        out.Root.Lang = pikepdf.String(lang)
    out.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    author = info.get("/Author", "")
    fields = [f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(info.get("/Title", ""))}</rdf:li></rdf:Alt></dc:title>']
    if author:
        fields.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>")
    fields.append(f"<pdf:Producer>{escape(info.get('/Producer', ''))}</pdf:Producer>")
    fields.append(f"<xmp:CreatorTool>{escape(info.get('/Creator', ''))}</xmp:CreatorTool>")
    if created:
        fields.append(f"<xmp:CreateDate>{escape(created)}</xmp:CreateDate>")
    xmp = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
           '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
           'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
           '<pdfuaid:part>1</pdfuaid:part>' + "".join(fields) +
           '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="r"?>')
    stream = out.make_stream(xmp.encode("utf-8"))
    stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
    out.Root.Metadata = stream


# --- fonts -----------------------------------------------------------------------------------------
@dataclass
class _Member:
    """One slide's subset of a font: its Type0 font dictionary and what it uses."""

    font: pikepdf.Dictionary
    widths: dict[int, float]
    text: dict[int, str]


@dataclass
class _FontGroup:
    members: list[_Member] = field(default_factory=list)
    merged: pikepdf.Object | None = None


class _Fonts:
    """Every slide's subsets of each font (by name), merged into one font once all are copied."""

    def __init__(self):
        self.groups: dict[str, _FontGroup] = {}
        self.seen: set[tuple[int, int]] = set()
        self.users: list[tuple[pikepdf.Dictionary, str, str]] = []  # (resource dict, key, font name)

    def collect(self, pages: list[pikepdf.Page]) -> None:
        for page in pages:
            resources = page.obj.get("/Resources")
            # a page's /Font: a dictionary (of font dictionaries) whenever it is there
            fonts = cast("pikepdf.Dictionary | None", resources.get("/Font") if resources is not None else None)
            if fonts is None or fonts.objgen in self.seen:
                continue  # WeasyPrint gives every page of a document the same resources
            if fonts.is_indirect:
                self.seen.add(fonts.objgen)
            for key, font in fonts.items():
                if not _mergeable(font):
                    continue
                name = str(font.BaseFont)
                group = self.groups.setdefault(name, _FontGroup())
                font = cast(pikepdf.Dictionary, font)  # `_mergeable`: a Type0 font with a /W array
                group.members.append(_Member(font, _read_widths(cast(pikepdf.Array, font.DescendantFonts[0].W)),
                                             _read_to_unicode(font.ToUnicode.read_bytes())))
                self.users.append((fonts, key, name))

    def merge(self, out: pikepdf.Pdf) -> None:
        for group in self.groups.values():
            if len(group.members) == 1:
                group.merged = group.members[0].font
                continue
            program = merge_truetype([(m.font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes(),
                                       set(m.widths)) for m in group.members])
            if program is None:  # not the same font after all: every slide keeps its own subset
                continue
            group.merged = _merged_font(out, group.members, program)
        for fonts, key, name in self.users:
            merged = self.groups[name].merged
            if merged is not None:
                fonts[key] = merged


def _mergeable(font: pikepdf.Object) -> bool:
    """A Type0 TrueType font with identity encoding and mapping (what WeasyPrint writes for text)."""
    try:
        descendant = font.DescendantFonts[0]
        return (font.Subtype == "/Type0" and font.get("/Encoding") == "/Identity-H" and "/ToUnicode" in font
                and descendant.Subtype == "/CIDFontType2" and descendant.get("/CIDToGIDMap") == "/Identity"
                and "/FontFile2" in descendant.FontDescriptor and "/W" in descendant)
    except (AttributeError, KeyError, IndexError, TypeError):
        return False


def _read_widths(w: pikepdf.Array) -> dict[int, float]:
    """A CIDFont's /W: `first [w1 w2 ...]` runs (and `first last w` ranges)."""
    widths: dict[int, float] = {}
    items, i = list(w), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for k, value in enumerate(items[i + 1]):
                widths[first + k] = float(value)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = float(items[i + 2])
            i += 3
    return widths


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def _write_widths(widths: dict[int, float]) -> pikepdf.Array:
    result, run = pikepdf.Array(), None
    for gid in sorted(widths):
        if gid - 1 not in widths:
            run = pikepdf.Array()
            result.append(gid)
            result.append(run)
        assert run is not None  # the lowest gid starts a run
        run.append(_number(widths[gid]))
    return result


BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def _read_to_unicode(data: bytes) -> dict[int, str]:
    """The glyph -> text entries of a ToUnicode CMap as WeasyPrint writes it (bfchar lines)."""
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, text in BFCHAR.findall(block):
            mapping[int(gid, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
    return mapping


def _write_to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for gid, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _merged_font(out: pikepdf.Pdf, members: list[_Member], program: bytes) -> pikepdf.Object:
    """A copy of the first slide's font dictionary with the union of every slide's glyphs."""
    widths: dict[int, float] = {}
    text: dict[int, str] = {}
    for member in members:
        widths.update(member.widths)
        for gid, chars in member.text.items():
            text.setdefault(gid, chars)
    first = members[0].font
    descriptor = pikepdf.Dictionary({k: v for k, v in first.DescendantFonts[0].FontDescriptor.items()})
    font_file = out.make_stream(program)
    font_file.Length1 = len(program)
    descriptor.FontFile2 = font_file
    bbox = [float(v) for v in descriptor.FontBBox]
    bbox[2] = max(widths.values(), default=0)  # as WeasyPrint computes it: the widest glyph used
    descriptor.FontBBox = pikepdf.Array([_number(v) for v in bbox])
    fixed = len(widths) > 1 and len(set(widths.values())) == 1
    descriptor.Flags = (int(descriptor.Flags) & ~1) | int(fixed)
    descendant = pikepdf.Dictionary({k: v for k, v in first.DescendantFonts[0].items()})
    descendant.W = _write_widths(widths)
    descendant.FontDescriptor = out.make_indirect(descriptor)
    font = pikepdf.Dictionary({k: v for k, v in first.items()})
    font.DescendantFonts = pikepdf.Array([out.make_indirect(descendant)])
    font.ToUnicode = out.make_stream(_write_to_unicode(text))
    return out.make_indirect(font)


# --- TrueType subsets of one font -> one subset -------------------------------------------------
KEPT_TABLES = ("OS/2", "cmap", "cvt ", "fpgm", "gasp", "name", "prep")  # taken from the largest subset
# composite glyph flags (OpenType glyf): what follows each component's glyph id
ARGS_ARE_WORDS, HAS_SCALE, MORE_COMPONENTS, HAS_XY_SCALE, HAS_2X2 = 0x1, 0x8, 0x20, 0x40, 0x80


class _Subset:
    """One slide's subset, read from its raw tables, and the glyph ids its text uses (`used`, from
    the font's widths in the PDF). WeasyPrint keeps the font's glyph ids up to the highest one used
    (`top`); glyphs only used inside composite glyphs (accents) that lie above it are numbered after
    it, in order."""

    def __init__(self, program: bytes, used: set[int]):
        count, = struct.unpack(">H", program[4:6])  # the table directory: (tag, checksum, offset, length)
        records = (struct.unpack(">4sIII", program[12 + 16 * i:28 + 16 * i]) for i in range(count))
        self.tables = {tag.decode("latin-1"): program[offset:offset + length] for tag, _, offset, length in records}
        t = self.tables
        self.count = struct.unpack(">H", t["maxp"][4:6])[0]
        self.used = used
        self.top = min(max(used, default=0), self.count - 1)
        n = self.count
        if struct.unpack(">h", t["head"][50:52])[0] == 1:
            self.loca: tuple[int, ...] | list[int] = struct.unpack(f">{n + 1}I", t["loca"][:4 * (n + 1)])
        else:
            self.loca = [2 * x for x in struct.unpack(f">{n + 1}H", t["loca"][:2 * (n + 1)])]
        self.long_metrics = struct.unpack(">H", t["hhea"][34:36])[0]

    def glyph(self, gid: int) -> bytes:
        return self.tables["glyf"][self.loca[gid]:self.loca[gid + 1]]

    def metrics(self, gid: int) -> tuple[int, int]:
        hmtx, h = self.tables["hmtx"], self.long_metrics
        if gid < h:
            return struct.unpack(">Hh", hmtx[4 * gid:4 * gid + 4])
        advance = struct.unpack(">H", hmtx[4 * (h - 1):4 * (h - 1) + 2])[0]
        return advance, struct.unpack(">h", hmtx[4 * h + 2 * (gid - h):4 * h + 2 * (gid - h) + 2])[0]


def _components(data: bytes) -> list[int]:
    """Byte offsets of the component glyph ids of a composite glyph (none for a simple glyph)."""
    if len(data) < 10 or struct.unpack(">h", data[:2])[0] >= 0:
        return []
    offsets, pos = [], 10
    while True:
        flags = struct.unpack(">H", data[pos:pos + 2])[0]
        offsets.append(pos + 2)
        pos += 4 + (4 if flags & ARGS_ARE_WORDS else 2)
        pos += 2 if flags & HAS_SCALE else 4 if flags & HAS_XY_SCALE else 8 if flags & HAS_2X2 else 0
        if not flags & MORE_COMPONENTS:
            return offsets


def merge_truetype(programs: list[tuple[bytes, set[int]]]) -> bytes | None:
    """One TrueType font from subsets of it, each given with the glyph ids its text uses; None if
    two disagree about a glyph (then they are not subsets of one font).

    Raw tables, no full parse. Glyph ids up to each subset's `top` are the font's own, and stay; the
    components numbered above it get ids after every used one (one id per distinct outline), and the
    composites that use them are rewritten. Metrics come with each outline (or, for a glyph without
    one, such as the space, from a subset that gives it an advance); the font-wide tables from the
    subset with the most glyphs; maxp, head and hhea bounds combined; glyph names dropped (post
    format 3: a PDF selects glyphs by id).
    """
    try:
        subsets = [_Subset(program, used) for program, used in programs]
    except Exception:  # not a TrueType font read this way: each slide keeps its own subset
        return None
    if any(not {"glyf", "loca", "head", "hhea", "hmtx", "maxp"} <= s.tables.keys() for s in subsets):
        return None
    merged = _merge_glyphs(subsets)
    return None if merged is None else _write_sfnt(_font_tables(subsets, *merged))


def _merge_glyphs(subsets: list[_Subset]) -> tuple[dict[int, bytes], dict[int, tuple[int, int]], int] | None:
    """The merged font's outlines and metrics by glyph id, and its glyph count; None if two subsets
    disagree about a glyph."""
    glyphs: dict[int, bytes] = {}
    metrics: dict[int, tuple[int, int]] = {}
    by_outline: dict[bytes, int] = {}
    moved: dict[tuple[int, int], int] = {}
    next_id = max(s.top for s in subsets) + 1

    def place(s: int, gid: int) -> int:
        """The merged id of glyph `gid` of subset `s`."""
        nonlocal next_id
        if gid <= subsets[s].top:
            return gid
        if (s, gid) not in moved:
            data = rewrite(s, subsets[s].glyph(gid))
            key = data.rstrip(b"\0")
            if key not in by_outline:
                by_outline[key] = next_id
                glyphs[next_id], metrics[next_id] = data, subsets[s].metrics(gid)
                next_id += 1
            moved[(s, gid)] = by_outline[key]
        return moved[(s, gid)]

    def rewrite(s: int, data: bytes) -> bytes:
        offsets = _components(data)
        if not offsets:
            return data
        out = bytearray(data)
        for at in offsets:
            out[at:at + 2] = struct.pack(">H", place(s, struct.unpack(">H", data[at:at + 2])[0]))
        return bytes(out)

    # simple outlines first, so that a component numbered above a subset's top finds its own id
    outlines = [[(gid, s.glyph(gid)) for gid in range(s.top + 1) if s.loca[gid + 1] > s.loca[gid]] for s in subsets]
    for composite_pass in (False, True):
        for s, subset in enumerate(subsets):
            for gid, data in outlines[s]:
                if (struct.unpack(">h", data[:2])[0] < 0) != composite_pass:
                    continue
                data = rewrite(s, data) if composite_pass else data
                if gid in glyphs:
                    if glyphs[gid] != data and glyphs[gid].rstrip(b"\0") != data.rstrip(b"\0"):
                        return None
                    continue
                glyphs[gid], metrics[gid] = data, subset.metrics(gid)
                by_outline.setdefault(data.rstrip(b"\0"), gid)
    for subset in subsets:  # glyphs without an outline (spaces): the metrics of a subset that uses them
        for gid in subset.used:
            if gid not in metrics and gid < subset.count:
                metrics[gid] = subset.metrics(gid)
    return glyphs, metrics, next_id


def _font_tables(subsets: list[_Subset], glyphs: dict[int, bytes], metrics: dict[int, tuple[int, int]],
                 count: int) -> dict[str, bytes]:
    """The merged font's tables: glyf, loca and hmtx from the merged glyphs; the font-wide ones from
    the subset with the most glyphs, bounds and maxima combined."""
    largest = max(subsets, key=lambda s: s.count).tables
    glyf_data, offsets = io.BytesIO(), [0]
    for gid in range(count):
        outline = glyphs.get(gid, b"")
        glyf_data.write(outline + b"\0" * (-len(outline) % 4))
        offsets.append(glyf_data.tell())
    hmtx_data = b"".join(struct.pack(">Hh", *metrics.get(gid, (0, 0))) for gid in range(count))

    fonts = [s.tables for s in subsets]
    maxp = bytearray(largest["maxp"])
    maxp[4:6] = struct.pack(">H", count)
    if all(len(f["maxp"]) >= 32 for f in fonts):  # version 1.0: per-glyph maxima, the largest of each
        fields = [max(struct.unpack(">13H", f["maxp"][6:32])[k] for f in fonts) for k in range(13)]
        maxp[6:32] = struct.pack(">13H", *fields)
    head = bytearray(largest["head"])
    boxes = [struct.unpack(">4h", f["head"][36:44]) for f in fonts]
    head[36:44] = struct.pack(">4h", min(b[0] for b in boxes), min(b[1] for b in boxes),
                              max(b[2] for b in boxes), max(b[3] for b in boxes))
    head[50:52] = struct.pack(">h", 1)  # long offsets in loca
    hhea = bytearray(largest["hhea"])
    for at, fmt, pick in ((10, ">H", max), (12, ">h", min), (14, ">h", min), (16, ">h", max)):
        hhea[at:at + 2] = struct.pack(fmt, pick(struct.unpack(fmt, f["hhea"][at:at + 2])[0] for f in fonts))
    hhea[34:36] = struct.pack(">H", count)
    post = bytearray(largest.get("post", b"\0" * 32)[:32].ljust(32, b"\0"))
    post[0:4] = b"\0\x03\0\0"

    tables = {"glyf": glyf_data.getvalue(), "loca": struct.pack(f">{count + 1}I", *offsets), "hmtx": hmtx_data,
              "maxp": bytes(maxp), "head": bytes(head), "hhea": bytes(hhea), "post": bytes(post)}
    tables.update({tag: largest[tag] for tag in KEPT_TABLES if tag in largest})
    return tables


def _write_sfnt(tables: dict[str, bytes]) -> bytes:
    from fontTools.ttLib.sfnt import SFNTWriter

    result = io.BytesIO()
    writer = SFNTWriter(result, len(tables))
    for tag in sorted(tables):
        writer[tag] = tables[tag]
    writer.close()
    return result.getvalue()
