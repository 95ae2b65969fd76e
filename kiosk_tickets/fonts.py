"""Fonts for PDFs: each font file is parsed once per process, each document embeds a small font of just its characters.

fpdf2 parses a font file in `add_font` and subsets it in place when it writes the document, so a font object
cannot serve a second document and every document paid for parsing Roboto (about 30 ms) and, for a name in
Chinese, Japanese or Korean, the 16 MB Noto Sans CJK (about 400 ms). Here each source font is opened once, the
outline of each character is converted once to TrueType form and kept, and a document gets a font built from
the outlines of the characters it draws: a few kilobytes that fpdf2 parses and subsets in a millisecond or two.

TrueType outlines are also what makes the text extractable: fpdf2 embeds the CFF-outlined CJK font as a CID
font whose /Encoding is an embedded CMap stream, which pypdf reads as one byte per character (every CJK character
came out with a NUL before it); a TrueType font is embedded with Identity-H like Roboto and reads back exactly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cvttf_NotoSansCJK_Regular
import font_roboto

# fpdf and fontTools are imported where a PDF or a font is made (in `serve`, by the warm-up thread once it
# listens): they cost start-up some 0.25 s and 0.02 s.
if TYPE_CHECKING:
    from fontTools.ttLib import TTFont
    from fpdf import FPDF

_ROBOTO = Path(font_roboto.font_directory)
# Receipts are Latin script only and still hand fpdf2 the font files.
LATIN_REGULAR = _ROBOTO / "Roboto-Regular.ttf"
LATIN_BOLD = _ROBOTO / "Roboto-Bold.ttf"
_SHIPPED = Path(__file__).with_name("font_files")

# Drawn where no font has a character, so that a name is never silently shortened (Roboto has it).
REPLACEMENT = "\ufffd"

# The family name a document sets; fpdf2 looks up the fallbacks below for characters this one lacks.
FAMILY = "sans"


_BLOCK = 128
_BLOCKWISE_UP_TO = 5000  # code points; the CJK font has 44,000
_BUILT_KEPT = 64  # fonts built for documents, per source font, most recently used kept


class SourceFont:
    """One font file, opened on first use and then kept: its character map, metrics and converted outlines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # fontTools loads tables lazily and is not safe across threads
        self._font: TTFont | None = None
        self._glyph_set: Any = None
        self._cmap: dict[int, str] = {}
        self._glyphs: dict[int, tuple[Any, int, int]] = {}  # code point -> (TrueType glyph, advance, lsb)
        self._header: dict[str, Any] = {}
        self._blocks: dict[int, frozenset[int]] = {}
        self._built: OrderedDict[frozenset[int], bytes] = OrderedDict()
        self._widths: dict[int, int] = {}

    def _open(self) -> TTFont:
        if self._font is None:
            from fontTools.ttLib import TTFont

            font = TTFont(self.path, lazy=True, recalcTimestamp=False)
            self._cmap = font.getBestCmap()  # fontTools' own map, not a copy: the CJK one has 44,000 entries
            self._header = _header_of(font)
            if len(self._cmap) <= _BLOCKWISE_UP_TO:
                blocks: dict[int, set[int]] = {}
                for code_point in self._cmap:
                    blocks.setdefault(code_point // _BLOCK, set()).add(code_point)
                self._blocks = {block: frozenset(members) for block, members in blocks.items()}
            self._glyph_set = font.getGlyphSet()
            self._font = font
        return self._font

    def code_points(self) -> AbstractSet[int]:
        """The characters this font draws."""
        with self._lock:
            self._open()
            return self._cmap.keys()

    def width(self, code_point: int) -> int:
        """The advance of a character this font draws, in thousandths of the font size, rounded as fpdf2 does."""
        known = self._widths.get(code_point)
        if known is None:
            with self._lock:
                font = self._open()
                advance = font["hmtx"][self._cmap[code_point]][0]
                known = self._widths[code_point] = round(advance * 1000 / self._header["units_per_em"] + 0.001)
        return known

    def build(self, code_points: Iterable[int]) -> bytes:
        """Return a TrueType font with `code_points` (each must be in `code_points()`) and .notdef.

        A small font (Roboto, Hebrew, Arabic) gives whole blocks of 128 characters, so that the documents of one
        event ask for the same few sets and find them built; CJK gives exactly the characters asked for.
        """
        with self._lock:
            font = self._open()
            wanted = frozenset(code_points)
            if self._blocks:
                wanted = frozenset().union(*(self._blocks[block] for block in {cp // _BLOCK for cp in wanted}))
            built = self._built.get(wanted)
            if built is not None:
                self._built.move_to_end(wanted)
                return built
            for code_point in wanted:
                if code_point not in self._glyphs:
                    self._glyphs[code_point] = self._convert(font, self._cmap[code_point])
            built = _assemble(self._header, {code_point: self._glyphs[code_point] for code_point in sorted(wanted)})
            self._built[wanted] = built
            if len(self._built) > _BUILT_KEPT:
                self._built.popitem(last=False)
            return built

    def _convert(self, font: TTFont, name: str) -> tuple[Any, int, int]:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.recordingPen import DecomposingRecordingPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        recording = DecomposingRecordingPen(self._glyph_set)  # components become plain outlines, no references
        self._glyph_set[name].draw(recording)
        pen = TTGlyphPen(None)
        if self._header["cubic"]:
            # CFF outlines are cubic and run the other way round; TrueType wants quadratic curves.
            recording.replay(Cu2QuPen(pen, max_err=self._header["units_per_em"] / 1000, reverse_direction=True))
        else:
            recording.replay(pen)
        glyph = pen.glyph()
        glyph.recalcBounds(None)
        advance = font["hmtx"][name][0]
        return glyph, advance, getattr(glyph, "xMin", 0)


def _header_of(font: TTFont) -> dict[str, Any]:
    """The metrics fpdf2 reads from a font, copied so that each built font describes itself as the source does."""
    os2, post, hhea, head = font["OS/2"], font["post"], font["hhea"], font["head"]
    notdef = font.getGlyphOrder()[0]
    return {
        "cubic": "CFF " in font or "CFF2" in font,
        "units_per_em": head.unitsPerEm,
        "family": font["name"].getBestFamilyName(),
        "style": font["name"].getBestSubFamilyName(),
        "ascent": hhea.ascent,
        "descent": hhea.descent,
        "line_gap": hhea.lineGap,
        "cap_height": getattr(os2, "sCapHeight", hhea.ascent),
        "x_height": getattr(os2, "sxHeight", 0),
        "weight": os2.usWeightClass,
        "strikeout_size": os2.yStrikeoutSize,
        "strikeout_position": os2.yStrikeoutPosition,
        "underline_position": post.underlinePosition,
        "underline_thickness": post.underlineThickness,
        "italic_angle": post.italicAngle,
        "fixed_pitch": post.isFixedPitch,
        "notdef_advance": font["hmtx"][notdef][0],
    }


def _assemble(header: Mapping[str, Any], glyphs: Mapping[int, tuple[Any, int, int]]) -> bytes:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    builder = FontBuilder(header["units_per_em"], isTTF=True)
    names = {code_point: f"u{code_point:04X}" for code_point in glyphs}
    builder.setupGlyphOrder([".notdef", *names.values()])
    builder.setupCharacterMap(names)
    notdef = TTGlyphPen(None).glyph()  # an empty .notdef: a missing character is replaced before drawing
    builder.setupGlyf({".notdef": notdef, **{names[cp]: glyph for cp, (glyph, _, _) in glyphs.items()}})
    builder.setupHorizontalMetrics(
        {".notdef": (header["notdef_advance"], 0), **{names[cp]: (adv, lsb) for cp, (_, adv, lsb) in glyphs.items()}}
    )
    builder.setupHorizontalHeader(ascent=header["ascent"], descent=header["descent"], lineGap=header["line_gap"])
    builder.setupNameTable({"familyName": header["family"], "styleName": header["style"]})
    builder.setupOS2(
        sTypoAscender=header["ascent"],
        sTypoDescender=header["descent"],
        usWinAscent=header["ascent"],
        usWinDescent=abs(header["descent"]),
        sCapHeight=header["cap_height"],
        sxHeight=header["x_height"],
        usWeightClass=header["weight"],
        yStrikeoutSize=header["strikeout_size"],
        yStrikeoutPosition=header["strikeout_position"],
    )
    builder.setupPost(
        underlinePosition=header["underline_position"],
        underlineThickness=header["underline_thickness"],
        italicAngle=header["italic_angle"],
        isFixedPitch=header["fixed_pitch"],
    )
    output = BytesIO()
    builder.save(output)
    return output.getvalue()


# Roboto covers Latin, Greek and Cyrillic in four styles; Noto Sans Hebrew and Arabic (shipped in the package,
# from Debian's fonts-noto-core) and Noto Sans CJK fill in, in their regular weight whatever the style.
_HEBREW = SourceFont(_SHIPPED / "NotoSansHebrew-Regular.ttf")
_ARABIC = SourceFont(_SHIPPED / "NotoSansArabic-Regular.ttf")
_CJK = SourceFont(Path(cvttf_NotoSansCJK_Regular.get_TTF_path()))
_FALLBACKS = (("hebrew", _HEBREW), ("arabic", _ARABIC), ("cjk", _CJK))
STYLES = {
    "": SourceFont(LATIN_REGULAR),
    "B": SourceFont(LATIN_BOLD),
    "I": SourceFont(_ROBOTO / "Roboto-Italic.ttf"),
    "BI": SourceFont(_ROBOTO / "Roboto-BoldItalic.ttf"),
}


class _Coverage:
    """Which font draws each character, worked out once per process (the CJK map alone has 44,000 entries)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[int, AbstractSet[int]] = {}

    def of(self, font: SourceFont) -> AbstractSet[int]:
        with self._lock:
            key = id(font)
            if key not in self._maps:
                self._maps[key] = font.code_points()
            return self._maps[key]


_coverage = _Coverage()


def printable(text: str) -> str:
    """Return `text` with each character that no font draws replaced by U+FFFD, which Roboto draws as a
    visible diamond with a question mark."""
    main = _coverage.of(STYLES[""])
    if all(ord(character) in main or character.isspace() for character in text):
        return text  # the common case, without opening the fallback fonts
    covered = [main, *(_coverage.of(font) for _, font in _FALLBACKS)]
    return "".join(
        character
        if character.isspace() or any(ord(character) in codes for codes in covered)
        else REPLACEMENT
        for character in text
    )


def family_for(character: str, style: str) -> str:
    """The family that draws `character` in `style`: FAMILY, or the fallback that has it."""
    if ord(character) in _coverage.of(STYLES[style]):
        return FAMILY
    for name, font in _FALLBACKS:
        if ord(character) in _coverage.of(font):
            return name
    return FAMILY


def width(character: str, style: str) -> int:
    """The advance of `character` in `style` as drawn (by the font `family_for` names), in thousandths of the font
    size: measuring text this way costs a dictionary lookup per character instead of a pass through fpdf2."""
    if ord(character) in _coverage.of(STYLES[style]):
        return STYLES[style].width(ord(character))
    for _, font in _FALLBACKS:
        if ord(character) in _coverage.of(font):
            return font.width(ord(character))
    return 0


def warm_up() -> None:
    """Open every font and read its character map now rather than during the first ticket download."""
    for font in STYLES.values():
        _coverage.of(font)
    for _, font in _FALLBACKS:
        _coverage.of(font)


def embed(pdf: FPDF, texts: Mapping[str, str]) -> None:
    """Add the family FAMILY to `pdf` for the styles in `texts` (style -> all text drawn in it, already through
    `printable`), each holding exactly the characters drawn, and a font of each fallback family that `family_for`
    names for some of them."""
    rest: set[int] = set()
    for style, text in texts.items():
        wanted = {ord(character) for character in text if character not in "\n\r\t"} | {ord(" ")}
        own = wanted & _coverage.of(STYLES[style])
        _add(pdf, FAMILY, style, STYLES[style].build(own))
        rest |= wanted - own
    for name, font in _FALLBACKS:
        if not rest:
            break  # a fallback font is opened only when a document needs it
        mine = rest & _coverage.of(font)
        if mine:
            # The fallbacks come in one weight, used for bold and italic text too.
            _add(pdf, name, "", font.build(mine | {ord(" ")}))
            rest -= mine


def _add(pdf: FPDF, family: str, style: str, data: bytes) -> None:
    # FPDF.add_font only takes a path; a TTFFont is what it would build from one, and fontTools reads a BytesIO.
    from fpdf.fonts import TTFFont

    key = f"{family}{style}"
    pdf.fonts[key] = TTFFont(pdf, BytesIO(data), key, style)  # type: ignore[arg-type]
