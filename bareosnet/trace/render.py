"""Draw a :class:`~bareosnet.trace.diagram.Diagram` as plain text, Mermaid or SVG.

All three are written here with no outside renderer (no browser, no Node):
the SVG is a fixed grid (one column per lifeline, one row per item), which is
all a sequence diagram needs, and it opens in any browser or image viewer.
A failed arrow ends in a cross (Mermaid ``-x``), an answer is dashed, a
warning note is drawn in red.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from bareosnet.trace.diagram import Arrow, Diagram, Item


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3]


# ---------------------------------------------------------------- text

_COL = 26  # characters between two lifelines


def text(diagram: Diagram) -> str:
    """A terminal drawing: lifelines as columns, one arrow or note per row."""
    names = diagram.lifelines
    x = {name: 14 + _COL // 2 + i * _COL for i, name in enumerate(names)}
    width = 14 + _COL * len(names)
    out: list[str] = []
    if diagram.title:
        out.append(diagram.title)
    head = [" "] * width
    for name in names:
        start = max(0, x[name] - len(name) // 2)
        head[start:start + len(name)] = name
    out.append("".join(head).rstrip())

    def blank(stamp: str = "") -> list[str]:
        row = list(stamp.ljust(14)) + [" "] * (width - 14)
        for name in names:
            row[x[name]] = "|"
        return row

    for item in diagram.items:
        if isinstance(item, Arrow):
            a, b = x[item.source], x[item.target]
            lo, hi = min(a, b), max(a, b)
            label = item.label + (f" ({item.detail})" if item.detail else "")
            row = blank()
            pos = max(0, (lo + hi) // 2 - len(label) // 2)
            row[pos:pos + len(label)] = label
            out.append("".join(row).rstrip())
            row = blank(_clock(item.time))
            dash = "." if item.reply else "-"
            for i in range(lo + 1, hi):
                row[i] = dash
            if b > a:
                row[hi - 1] = "x" if item.failed else ">"
            else:
                row[lo + 1] = "x" if item.failed else "<"
            out.append("".join(row).rstrip())
        else:
            row = blank(_clock(item.time))
            mark = "!! " if item.warning else ""
            note = f"[{mark}{item.text}]"
            pos = x[item.lifeline] + 2
            row[pos:pos + len(note)] = note
            out.append("".join(row).rstrip())
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- mermaid


def _mermaid_text(s: str) -> str:
    # ';' and '#' end or escape a Mermaid message; a newline is "<br/>".
    return s.replace("#", "#35;").replace(";", "#59;").replace("\n", "<br/>")


def mermaid(diagram: Diagram) -> str:
    """A Mermaid ``sequenceDiagram`` (GitHub and most doc tools draw it)."""
    ids = {name: f"P{i}" for i, name in enumerate(diagram.lifelines)}
    out = ["sequenceDiagram"]
    if diagram.title:
        out.append(f"    title {_mermaid_text(diagram.title)}")
    out += [f"    participant {ids[n]} as {_mermaid_text(n)}" for n in diagram.lifelines]
    for item in diagram.items:
        if isinstance(item, Arrow):
            arrow = ("--" if item.reply else "-") + ("x" if item.failed else ">>")
            label = item.label + (f" ({item.detail})" if item.detail else "")
            out.append(f"    {ids[item.source]}{arrow}{ids[item.target]}: {_mermaid_text(label)}")
        else:
            out.append(f"    Note over {ids[item.lifeline]}: {_mermaid_text(item.text)}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- svg

_LANE = 230  # px between lifelines
_ROW = 34  # px per item
_TOP = 70  # header height
_LEFT = 100  # room for the clock column
_FONT = "font-family='DejaVu Sans, Verdana, sans-serif'"


def _svg_text(x: float, y: float, s: str, *, size: int = 12, anchor: str = "middle",
              fill: str = "#222", weight: str = "normal") -> str:  # fmt: skip
    return (f"<text x='{x:.0f}' y='{y:.0f}' font-size='{size}' text-anchor='{anchor}' "
            f"fill='{fill}' font-weight='{weight}' {_FONT}>{escape(s)}</text>")  # fmt: skip


def _svg_item(item: Item, x: dict[str, float], y: float, width: float) -> list[str]:
    if isinstance(item, Arrow):
        a, b = x[item.source], x[item.target]
        colour = "#c0392b" if item.failed else "#1f4e79"
        dash = " stroke-dasharray='6,4'" if item.reply else ""
        end = b - 8 if b > a else b + 8
        parts = [
            f"<line x1='{a:.0f}' y1='{y:.0f}' x2='{end:.0f}' y2='{y:.0f}' stroke='{colour}' "
            f"stroke-width='1.6'{dash}/>"
        ]
        if item.failed:
            parts.append(f"<path d='M{end - 6:.0f},{y - 6:.0f} l12,12 m0,-12 l-12,12' "
                         f"stroke='{colour}' stroke-width='2'/>")  # fmt: skip
        else:
            tip = b if b > a else b
            back = -10 if b > a else 10
            parts.append(f"<path d='M{tip:.0f},{y:.0f} l{back},-5 l0,10 z' fill='{colour}'/>")
        mid = (a + b) / 2
        parts.append(_svg_text(mid, y - 6, item.label, fill=colour, weight="bold"))
        if item.detail:
            parts.append(_svg_text(mid, y + 13, item.detail, size=10, fill="#555"))
        return parts
    cx = x[item.lifeline]
    fill, stroke = ("#fdecea", "#c0392b") if item.warning else ("#fff8dc", "#b7950b")
    w = 6.5 * len(item.text) + 16  # may cross a neighbour lifeline: readable beats tidy
    # ... but never the clock column nor the right edge: shift the box inwards instead.
    cx = min(max(cx, _LEFT - 4 + w / 2), width - 4 - w / 2)
    return [
        f"<rect x='{cx - w / 2:.0f}' y='{y - 13:.0f}' width='{w:.0f}' height='20' rx='3' "
        f"fill='{fill}' stroke='{stroke}'/>",
        _svg_text(cx, y + 1, item.text, size=11),
    ]


def svg(diagram: Diagram) -> str:
    """A standalone SVG document."""
    names = diagram.lifelines
    x = {name: _LEFT + _LANE / 2 + i * _LANE for i, name in enumerate(names)}
    width = _LEFT + _LANE * max(1, len(names))
    height = _TOP + _ROW * (len(diagram.items) + 1) + 20
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height}' "
        f"viewBox='0 0 {width:.0f} {height}'>",
        f"<rect width='{width:.0f}' height='{height}' fill='white'/>",
    ]
    if diagram.title:
        out.append(_svg_text(10, 18, diagram.title, size=13, anchor="start", weight="bold"))
    bottom = height - 20
    for name in names:
        cx = x[name]
        out.append(f"<line x1='{cx:.0f}' y1='{_TOP - 10}' x2='{cx:.0f}' y2='{bottom}' "
                   f"stroke='#999' stroke-dasharray='4,4'/>")  # fmt: skip
        out.append(f"<rect x='{cx - 80:.0f}' y='28' width='160' height='28' rx='4' "
                   f"fill='#eaf2f8' stroke='#1f4e79'/>")  # fmt: skip
        out.append(_svg_text(cx, 47, name, size=13, weight="bold"))
    for i, item in enumerate(diagram.items):
        y = _TOP + _ROW * (i + 1) - 8
        out.append(_svg_text(8, y + 4, _clock(item.time), size=10, anchor="start", fill="#777"))
        out += _svg_item(item, x, y, width)
    out.append("</svg>")
    return "\n".join(out) + "\n"


RENDERERS = {"text": text, "mermaid": mermaid, "svg": svg}
