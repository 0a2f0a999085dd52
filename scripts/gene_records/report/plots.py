"""Plots of the summary report as self-contained SVG text.

Written by hand rather than with a plotting library: the SVG holds no ids,
no fonts or images from elsewhere, no timestamps, and every number is printed
with fixed decimals, so the same data always give the same bytes. All text
that comes from records (labels) is XML-escaped here; an SVG is valid both as
a file of its own and inline in the HTML page.

Every function takes already-reduced data (a few hundred values at most,
except :func:`mass_delta_plot`, which thins its points to one per pixel cell),
so a plot stays small whatever the number of records.
"""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
INK = "#222"
GRID = "#ddd"
MUTED = "#777"
BLUE = "#2166ac"
RED = "#b2182b"
TEAL = "#1b7f79"
ORANGE = "#d9731a"
EMPTY = "#eeeeee"


def _f(x: float) -> str:
    """A coordinate: one decimal, never ``-0.0``."""
    text = f"{round(x, 1) + 0.0:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _t(text) -> str:
    return escape(str(text), quote=True)


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _text_width(text: str, size: float = 11) -> float:
    return len(text) * size * 0.58


def number(x: float) -> str:
    """A tick label: integers without decimals, others with up to 3 significant digits."""
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e9:
        return f"{int(x):,}"
    return f"{x:.3g}"


class Svg:
    """A small SVG builder; elements are appended as text in call order."""

    def __init__(self, width: float, height: float, title: str):
        self.width = width
        self.height = height
        self.title = title
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x, y, text, size=11, anchor="start", fill=INK, weight="normal", rotate=None) -> None:
        transform = f' transform="rotate({_f(rotate)} {_f(x)} {_f(y)})"' if rotate is not None else ""
        bold = ' font-weight="bold"' if weight != "normal" else ""
        self.add(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" text-anchor="{anchor}" '
            f'fill="{fill}"{bold}{transform}>{_t(text)}</text>'
        )

    def rect(self, x, y, w, h, fill, title: str | None = None, stroke: str | None = None) -> None:
        line = f' stroke="{stroke}" stroke-width="0.5"' if stroke else ""
        tip = f"<title>{_t(title)}</title>" if title else ""
        end = f">{tip}</rect>" if tip else "/>"
        self.add(f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" fill="{fill}"{line}{end}')

    def line(self, x1, y1, x2, y2, stroke=GRID, width=1, dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}" '
            f'stroke-width="{_f(width)}"{d}/>'
        )

    def render(self) -> str:
        w, h = _f(self.width), _f(self.height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'role="img" aria-label="{_t(self.title)}" style="{FONT}">'
            f"<title>{_t(self.title)}</title>"
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>'
        )
        return head + "".join(self.parts) + "</svg>\n"


def no_data(title: str, message: str) -> str:
    """A small placeholder plot that says why there is nothing to show."""
    svg = Svg(520, 70, title)
    svg.text(10, 24, title, size=13, weight="bold")
    svg.text(10, 50, message, size=12, fill=MUTED)
    return svg.render()


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    k = 0
    while True:
        v = start + k * step
        if v > hi + step * 1e-9:
            break
        if v >= lo - step * 1e-9:
            ticks.append(round(v, 10) + 0.0)
        k += 1
    return ticks


# ------------------------------------------------------------------ bar chart


def bar_chart(items: Sequence[tuple[str, int]], title: str, value_label: str) -> str:
    """Horizontal bars, one per ``(label, value)``, in the order given."""
    if not items:
        return no_data(title, "nothing to show")
    labels = [_short(label, 48) for label, _ in items]
    left = min(max(_text_width(s) for s in labels) + 16, 320)
    bar_h, gap, top = 18, 6, 40
    plot_w = 420
    width = left + plot_w + 80
    height = top + len(items) * (bar_h + gap) + 40
    vmax = max(v for _, v in items) or 1
    svg = Svg(width, height, title)
    svg.text(10, 20, title, size=13, weight="bold")
    for tick in nice_ticks(0, vmax, 4):
        x = left + plot_w * tick / vmax
        if x <= left + plot_w + 0.5:
            svg.line(x, top - 4, x, height - 34)
            svg.text(x, height - 20, number(tick), size=10, anchor="middle", fill=MUTED)
    svg.text(left + plot_w / 2, height - 6, value_label, size=11, anchor="middle", fill=MUTED)
    for i, ((label, value), short) in enumerate(zip(items, labels)):
        y = top + i * (bar_h + gap)
        w = plot_w * value / vmax
        svg.rect(left, y, max(w, 0.5), bar_h, TEAL, title=f"{label}: {value:,}")
        svg.text(left - 6, y + bar_h * 0.7, short, anchor="end")
        svg.text(left + w + 4, y + bar_h * 0.7, f"{value:,}", size=10, fill=MUTED)
    return svg.render()


# ------------------------------------------------------------------ protein QC


def mass_delta_plot(
    points: Sequence[tuple[int, float, bool]], tolerance_da: float | None, tolerance_per_residue: float | None
) -> str:
    """Stated minus computed mass (Da) against length (log scale), passing and
    failing proteins in two colours, with the tolerance window as dashed lines.

    Points that fall in the same 2-pixel cell are drawn once (per colour), so
    the SVG stays small for any number of proteins.
    """
    title = "Protein QC: mass difference (stated - computed) against length"
    usable = [(n, d, ok) for n, d, ok in points if n and n > 0 and d is not None and math.isfinite(d)]
    if not usable:
        return no_data(title, "no protein with a stated and a computed mass")
    left, top, plot_w, plot_h = 70, 40, 560, 300
    width, height = left + plot_w + 170, top + plot_h + 50
    lmin = math.floor(math.log10(min(n for n, _, _ in usable)))
    lmax = math.ceil(math.log10(max(n for n, _, _ in usable)))
    if lmax <= lmin:
        lmax = lmin + 1
    dmax = max(abs(d) for _, d, _ in usable)
    if tolerance_da is not None and tolerance_per_residue is not None:
        dmax = max(dmax, tolerance_da + tolerance_per_residue * 10**lmax)
    dmax = dmax * 1.1 or 1.0

    def x_of(n: float) -> float:
        return left + plot_w * (math.log10(n) - lmin) / (lmax - lmin)

    def y_of(d: float) -> float:
        return top + plot_h * (dmax - d) / (2 * dmax)

    svg = Svg(width, height, title)
    svg.text(10, 20, title, size=13, weight="bold")
    for e in range(lmin, lmax + 1):
        x = x_of(10**e)
        svg.line(x, top, x, top + plot_h)
        svg.text(x, top + plot_h + 16, number(10**e), size=10, anchor="middle", fill=MUTED)
    for tick in nice_ticks(-dmax, dmax, 6):
        y = y_of(tick)
        svg.line(left, y, left + plot_w, y, stroke="#bbb" if tick == 0 else GRID)
        svg.text(left - 6, y + 4, number(tick), size=10, anchor="end", fill=MUTED)
    svg.text(left + plot_w / 2, height - 8, "sequence length (residues, log scale)", anchor="middle", fill=MUTED)
    svg.text(16, top + plot_h / 2, "mass difference (Da)", anchor="middle", fill=MUTED, rotate=-90)
    if tolerance_da is not None and tolerance_per_residue is not None:
        for sign in (1, -1):
            pts = []
            for k in range(61):
                n = 10 ** (lmin + (lmax - lmin) * k / 60)
                pts.append(f"{_f(x_of(n))},{_f(y_of(sign * (tolerance_da + tolerance_per_residue * n)))}")
            svg.add(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{MUTED}" stroke-dasharray="4 3"/>')
    seen: set[tuple[int, int, bool]] = set()
    drawn = {True: 0, False: 0}
    # failing points last, so they are drawn on top
    for n, d, ok in sorted(usable, key=lambda p: (not p[2], p[0], p[1])):
        x, y = x_of(n), y_of(max(-dmax, min(dmax, d)))
        cell = (int(x // 2), int(y // 2), ok)
        if cell in seen:
            continue
        seen.add(cell)
        drawn[ok] += 1
        colour = TEAL if ok else RED
        r = 2.2 if ok else 3.2
        svg.add(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{colour}" fill-opacity="0.7"/>')
    n_pass = sum(1 for p in usable if p[2])
    n_fail = len(usable) - n_pass
    lx = left + plot_w + 16
    svg.add(f'<circle cx="{_f(lx + 5)}" cy="{_f(top + 10)}" r="3" fill="{TEAL}"/>')
    svg.text(lx + 14, top + 14, f"pass ({n_pass:,})", size=11)
    svg.add(f'<circle cx="{_f(lx + 5)}" cy="{_f(top + 30)}" r="3.5" fill="{RED}"/>')
    svg.text(lx + 14, top + 34, f"fail ({n_fail:,})", size=11)
    if tolerance_da is not None:
        svg.line(lx, top + 50, lx + 10, top + 50, stroke=MUTED, dash="4 3")
        svg.text(lx + 14, top + 54, "tolerance", size=11)
    return svg.render()


# ------------------------------------------------------------------ interactions


def log2_bins(values: dict[int, int]) -> list[tuple[str, int]]:
    """Counts of degrees grouped in bins 1, 2-3, 4-7, 8-15, ... (label, count)."""
    if not values:
        return []
    top = max(values)
    bins = []
    lo = 1
    while lo <= top:
        hi = lo * 2 - 1
        label = str(lo) if lo == hi else f"{lo:,}-{hi:,}"
        bins.append((label, sum(c for d, c in values.items() if lo <= d <= hi)))
        lo *= 2
    return bins


def degree_plot(tf_degrees: dict[int, int], target_degrees: dict[int, int]) -> str:
    """Degree distribution: how many TFs have k targets and how many targets
    have k TFs, in doubling bins of k, counts on a log scale."""
    title = "Interactions: degree distribution"
    tf_bins, target_bins = log2_bins(tf_degrees), log2_bins(target_degrees)
    if not tf_bins and not target_bins:
        return no_data(title, "no interactions")
    n_bins = max(len(tf_bins), len(target_bins))
    labels = [lab for lab, _ in (tf_bins if len(tf_bins) >= len(target_bins) else target_bins)]
    left, top, plot_h = 70, 40, 260
    group_w = max(34, min(60, 640 // max(n_bins, 1)))
    plot_w = group_w * n_bins
    width, height = left + plot_w + 200, top + plot_h + 80
    cmax = max([c for _, c in tf_bins + target_bins] + [1])
    emax = max(1, math.ceil(math.log10(cmax + 1)))

    def h_of(c: int) -> float:
        return plot_h * math.log10(c + 1) / emax if c > 0 else 0.0

    svg = Svg(width, height, title)
    svg.text(10, 20, title, size=13, weight="bold")
    for e in range(emax + 1):
        y = top + plot_h - plot_h * math.log10(10**e + 1) / emax if e else top + plot_h
        svg.line(left, y, left + plot_w, y)
        svg.text(left - 6, y + 4, number(10**e) if e else "0", size=10, anchor="end", fill=MUTED)
    bar_w = (group_w - 8) / 2
    for i in range(n_bins):
        x0 = left + i * group_w + 4
        for j, (bins, colour, what) in enumerate(((tf_bins, BLUE, "TFs"), (target_bins, ORANGE, "targets"))):
            if i < len(bins):
                label, c = bins[i]
                h = h_of(c)
                tip = f"{c:,} {what} with {label} {'targets' if what == 'TFs' else 'TFs'}"
                svg.rect(x0 + j * bar_w, top + plot_h - h, bar_w, h, colour, title=tip)
        svg.text(x0 + bar_w, top + plot_h + 12, labels[i], size=9, anchor="end", fill=MUTED, rotate=-40)
    svg.text(left + plot_w / 2, height - 6, "degree (number of partners, doubling bins)", anchor="middle", fill=MUTED)
    svg.text(16, top + plot_h / 2, "proteins (log scale)", anchor="middle", fill=MUTED, rotate=-90)
    lx = left + plot_w + 16
    svg.rect(lx, top, 10, 10, BLUE)
    svg.text(lx + 16, top + 9, "TFs: number of targets", size=11)
    svg.rect(lx, top + 20, 10, 10, ORANGE)
    svg.text(lx + 16, top + 29, "targets: number of TFs", size=11)
    return svg.render()


# ------------------------------------------------------------------ heatmaps


def _mix(c1: str, c2: str, t: float) -> str:
    a = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def diverging_colour(value: float, vmax: float) -> str:
    """Blue (negative) - white (0) - red (positive), saturating at ``vmax``."""
    t = max(-1.0, min(1.0, value / vmax)) if vmax > 0 else 0.0
    return _mix("#ffffff", RED, t) if t >= 0 else _mix("#ffffff", BLUE, -t)


def sequential_colour(value: float, vmax: float) -> str:
    t = max(0.0, min(1.0, value / vmax)) if vmax > 0 else 0.0
    return _mix("#f2f7f7", "#0b4f4b", t**0.6)


def heatmap(
    title: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    diverging: bool,
    value_label: str,
    vmax: float | None = None,
    cell: int = 13,
) -> str:
    """Rows x columns of coloured cells (empty cells grey), labels on the left
    and (rotated) on top, a colour key at the right. Each cell has a tooltip."""
    if not row_labels or not col_labels:
        return no_data(title, "nothing to show")
    rows = [_short(s, 40) for s in row_labels]
    cols = [_short(s, 40) for s in col_labels]
    finite = [abs(v) if diverging else v for r in values for v in r if v is not None]
    if vmax is None:
        vmax = max(finite) if finite else 1.0
    vmax = vmax or 1.0
    left = min(max(_text_width(s, 10) for s in rows) + 14, 280)
    top = 30 + min(max(_text_width(s, 10) for s in cols), 240) + 10
    plot_w, plot_h = cell * len(cols), cell * len(rows)
    width = left + plot_w + 150
    height = max(top + plot_h + 20, top + 170)
    svg = Svg(width, height, title)
    svg.text(10, 20, title, size=13, weight="bold")
    for j, label in enumerate(cols):
        x = left + j * cell + cell * 0.75
        svg.text(x, top - 5, label, size=10, anchor="start", rotate=-90)
    svg.rect(left, top, plot_w, plot_h, EMPTY)  # empty cells show this background
    for i, label in enumerate(rows):
        y = top + i * cell
        svg.text(left - 5, y + cell * 0.78, label, size=10, anchor="end")
        for j, v in enumerate(values[i]):
            if v is not None:
                colour = diverging_colour(v, vmax) if diverging else sequential_colour(v, vmax)
                svg.rect(
                    left + j * cell, y, cell, cell, colour, title=f"{row_labels[i]} / {col_labels[j]}: {number(v)}"
                )
    svg.add(
        f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(plot_w)}" height="{_f(plot_h)}" fill="none" '
        f'stroke="#999" stroke-width="0.5"/>'
    )
    # colour key: 11 steps
    kx, ky = left + plot_w + 24, top
    svg.text(kx, ky - 8, value_label, size=10, fill=MUTED)
    steps = 11
    for k in range(steps):
        frac = 1 - k / (steps - 1)
        v = (2 * frac - 1) * vmax if diverging else frac * vmax
        colour = diverging_colour(v, vmax) if diverging else sequential_colour(v, vmax)
        svg.rect(kx, ky + k * 12, 14, 12, colour)
        if k in (0, steps // 2, steps - 1):
            svg.text(kx + 20, ky + k * 12 + 10, number(round(v, 3)), size=10, fill=MUTED)
    svg.rect(kx, ky + steps * 12 + 8, 14, 12, EMPTY)
    svg.text(kx + 20, ky + steps * 12 + 18, "no value", size=10, fill=MUTED)
    return svg.render()
