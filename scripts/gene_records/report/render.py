"""Renderers of the report's document model: one self-contained HTML page
(inline CSS, no script, a Content-Security-Policy that forbids loading
anything) and the same sections in Markdown.

Every text goes through the escaping helpers of :mod:`.model`, so both
renderers show text from records as text.
"""

from __future__ import annotations

from html import escape

from .model import Facts, Heading, Para, Plot, Pre, Section, Table, html_cell, is_number, md_cell, md_escape

TITLE = "gene-records summary"

CSS = """
:root{--ink:#222;--muted:#666;--line:#ddd;--accent:#1b7f79;--bad:#b2182b}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:var(--ink);background:#fafafa}
header{background:#14524e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;color:#cfe7e5}
nav{padding:8px 28px;background:#fff;border-bottom:1px solid var(--line)}
nav a{margin-right:16px;color:var(--accent);text-decoration:none;font-weight:600}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px 20px 16px;margin:18px 0}
h2{font-size:20px;border-bottom:2px solid var(--accent);padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0 4px;font-size:13px}
caption{text-align:left;font-weight:600;padding:4px 0;white-space:nowrap}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top;max-width:560px;overflow-wrap:anywhere}
th{background:#f0f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fbfbfb}
p.note{color:var(--muted);font-size:12px;margin:2px 0 12px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}
dt{color:var(--muted)}dd{margin:0}
figure{margin:10px 0 16px}
figcaption{color:var(--muted);font-size:12px;max-width:900px}
svg{max-width:100%;height:auto}
pre{background:#f4f4f4;padding:8px 12px;overflow:auto;font-size:12px;max-height:420px}
a{color:#0b5c8a}
"""


def render_html(sections: list[Section], subtitle: str) -> str:
    out = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        # nothing may be loaded: no scripts, no remote styles, fonts or images
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{escape(TITLE)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<header><h1>{escape(TITLE)}</h1><p>{escape(subtitle)}</p></header>\n<nav>",
        "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in sections),
        "</nav>\n<main>\n",
    ]
    for s in sections:
        out.append(f'<section id="{s.anchor}">\n<h2>{escape(s.title)}</h2>\n')
        for b in s.blocks:
            out.append(_html_block(b))
        out.append("</section>\n")
    out.append("</main>\n</body>\n</html>\n")
    return "".join(out)


def _html_block(b) -> str:
    if isinstance(b, Para):
        return "<p>" + "".join(html_cell(p) for p in b.parts) + "</p>\n"
    if isinstance(b, Heading):
        anchor = f' id="{escape(b.anchor, quote=True)}"' if b.anchor else ""
        return f"<h3{anchor}>{escape(b.text)}</h3>\n"
    if isinstance(b, Facts):
        items = "".join(f"<dt>{escape(k)}</dt><dd>{html_cell(v)}</dd>" for k, v in b.items)
        return f"<dl>{items}</dl>\n"
    if isinstance(b, Pre):
        return f"<pre>{escape(b.text)}</pre>\n"
    if isinstance(b, Plot):
        return f"<figure>{b.svg.strip()}<figcaption>{escape(b.caption)}</figcaption></figure>\n"
    if isinstance(b, Table):
        rows = []
        head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
        for r in b.rows:
            cells = "".join(
                f'<td class="n">{html_cell(c)}</td>' if is_number(c) else f"<td>{html_cell(c)}</td>" for c in r
            )
            rows.append(f"<tr>{cells}</tr>")
        if not b.rows:
            return f"<p><strong>{escape(b.title)}</strong>: none.</p>\n"
        note = f'<p class="note">{escape(b.note())}</p>\n' if b.note() else ""
        return (
            f"<table><caption>{escape(b.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>\n{note}"
        )
    raise TypeError(f"unknown block {type(b).__name__}")


def render_markdown(sections: list[Section], subtitle: str) -> str:
    out = [f"# {md_escape(TITLE)}\n\n{md_escape(subtitle)}\n"]
    for s in sections:
        out.append(f"\n## {md_escape(s.title)}\n")
        for b in s.blocks:
            out.append(_md_block(b))
    return "".join(out)


def _md_block(b) -> str:
    if isinstance(b, Para):
        return "\n" + "".join(md_cell(p) for p in b.parts) + "\n"
    if isinstance(b, Heading):
        return f"\n### {md_escape(b.text)}\n"
    if isinstance(b, Facts):
        return "\n" + "".join(f"- {md_escape(k)}: {md_cell(v)}\n" for k, v in b.items)
    if isinstance(b, Pre):
        fence = "~~~~"
        while fence in b.text:
            fence += "~"
        return f"\n{fence}\n{b.text.rstrip()}\n{fence}\n"
    if isinstance(b, Plot):
        return f"\n![{md_escape(b.caption)}](plots/{b.name})\n"
    if isinstance(b, Table):
        if not b.rows:
            return f"\n**{md_escape(b.title)}**: none.\n"
        lines = [f"\n**{md_escape(b.title)}**", ""]
        lines.append("| " + " | ".join(md_escape(h) for h in b.header) + " |")
        lines.append("|" + "|".join("---:" if b.rows and is_number(c) else "---" for c in b.rows[0]) + "|")
        for r in b.rows:
            lines.append("| " + " | ".join(md_cell(c) for c in r) + " |")
        text = "\n".join(lines) + "\n"
        if b.note():
            text += f"\n_{md_escape(b.note())}_\n"
        return text
    raise TypeError(f"unknown block {type(b).__name__}")
