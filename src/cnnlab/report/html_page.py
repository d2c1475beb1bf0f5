"""One self-contained HTML page: styles inline, images inline as base64 PNG, no script, no font, no link to
anything outside the file, so it opens from disk in any browser, offline, and can be mailed as one file."""

from __future__ import annotations

import html
from dataclasses import dataclass

from cnnlab.report.images import data_uri

__all__ = ["Section", "render_page", "put_section", "img", "table", "escape", "note"]

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2430;
       background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #c9d1dc; }
nav { padding: 8px 28px; background: #e8ebf0; font-size: 13px; }
nav a { margin-right: 12px; color: #2150a0; text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1200px; }
section { background: #fff; border: 1px solid #dde2ea; border-radius: 6px; padding: 12px 18px; margin: 16px 0; }
h2 { font-size: 18px; margin: 4px 0 10px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border-bottom: 1px solid #e4e8ee; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
th { color: #566; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f3f5f8; padding: 8px; overflow-x: auto; font-size: 12px; }
img { image-rendering: pixelated; max-width: 100%; }
img.plot { image-rendering: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; text-align: center; font-size: 12px; }
figcaption { color: #445; }
.note { color: #6a5d00; background: #fff8d6; padding: 6px 10px; border-radius: 4px; }
.bar { background: #4b7bd0; height: 10px; display: inline-block; }
.muted { color: #667; font-size: 12px; }
"""


@dataclass
class Section:
    id: str
    title: str
    body: str  # HTML


def escape(text) -> str:
    return html.escape(str(text), quote=True)


def img(png: bytes, alt: str, plot: bool = False, width: int | None = None) -> str:
    """An <img> carrying its PNG inside; `plot` for matplotlib figures (smooth scaling), else pixel art."""
    size = f' width="{width}"' if width else ""
    kind = ' class="plot"' if plot else ""
    return f'<img{kind} src="{data_uri(png)}" alt="{escape(alt)}"{size}>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def table(rows: list[tuple], head: tuple | None = None, numeric: set[int] = frozenset()) -> str:
    """An HTML table of already-formatted cells; columns in `numeric` are right-aligned. Cells are escaped,
    except those given as ('html', markup)."""

    def cell(tag, i, value):
        body = value[1] if isinstance(value, tuple) and value[:1] == ("html",) else escape(value)
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{body}</{tag}>"

    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>")
    out += ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows]
    return "\n".join(out + ["</table>"])


_FOOTER_START = '<p class="muted">'  # the page's last paragraph: sections added later go before it


def _nav_link(section: Section) -> str:
    return f'<a href="#{section.id}">{escape(section.title)}</a>'


def _section_html(section: Section) -> str:
    return f'<section id="{section.id}">\n<h2>{escape(section.title)}</h2>\n{section.body}\n</section>'


def put_section(page: str, section: Section) -> str | None:
    """`page` (written by render_page) with `section` in place of its section of the same id, or added as the
    last one; None when the page does not have render_page's layout (then render the whole page again)."""
    start = page.find(f'<section id="{section.id}">')
    if start >= 0:
        end = page.find("</section>", start)
        if end < 0:
            return None
        return page[:start] + _section_html(section) + page[end + len("</section>") :]
    footer, nav_end = page.rfind(_FOOTER_START), page.find("</nav>")
    if footer < 0 or nav_end < 0:
        return None
    page = page[:footer] + _section_html(section) + "\n" + page[footer:]
    return page[:nav_end] + " " + _nav_link(section) + page[nav_end:]


def render_page(title: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    nav = " ".join(_nav_link(s) for s in sections)
    body = "\n".join(_section_html(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>
<nav>{nav}</nav>
<main>
{body}
{_FOOTER_START}{escape(footer)}</p>
</main>
</body>
</html>
"""
