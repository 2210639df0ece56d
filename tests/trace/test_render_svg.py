"""The SVG renderer keeps every note box on the canvas and clear of the clock column."""

import re

from bareosnet.trace.diagram import Arrow, Diagram, Note
from bareosnet.trace.render import _LEFT, svg


def test_long_notes_stay_inside_the_canvas() -> None:
    long = "session key of job 123456 issued (not shown) " * 2
    diagram = Diagram(
        lifelines=["Director", "File daemon", "Storage daemon"],
        items=[
            Note(1.0, "Director", long),
            Arrow(1.1, "Director", "Storage daemon", "5 tls-psk 1.3"),
            Note(1.2, "Storage daemon", long),
            Note(1.3, "File daemon", "short"),
        ],
    )
    doc = svg(diagram)
    width = float(re.search(r"<svg [^>]*width='(\d+)'", doc).group(1))  # type: ignore[union-attr]
    boxes = [(float(x), float(w)) for x, w in
             re.findall(r"<rect x='(-?\d+)' y='\d+' width='(\d+)' height='20'", doc)]  # fmt: skip
    assert len(boxes) == 3
    for x, w in boxes:
        assert x >= _LEFT - 5, (x, w)
        assert x + w <= width, (x, w, width)
    # A short note stays centred on its own lifeline.
    fd_x = _LEFT + 230 / 2 + 230
    x, w = boxes[2]
    assert abs(x + w / 2 - fd_x) <= 1
