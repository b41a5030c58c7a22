"""docs/runbooks.md as an HTML page, so every alert's runbook_url opens offline.

Only what the runbooks use is rendered: headings (each with the anchor GitHub would give
it, so ``#higherrorrate`` names the HighErrorRate section), fenced code blocks, bullet
lists, paragraphs, and inline code, bold and links; whole-line HTML comments are dropped,
as GitHub hides them. Everything else stays as text, and every piece of text is escaped.
"""

import re
from html import escape

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = "```"
# A whole-line HTML comment (a generated section's marker): invisible on GitHub, so here too.
_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")

_STYLE = """
body { font-family: sans-serif; margin: 1.5rem auto; max-width: 60rem; line-height: 1.4; }
pre { background: #f4f4f4; padding: 0.6rem; overflow-x: auto; }
code { font-size: 0.9em; }
h2 { border-top: 1px solid #ccc; padding-top: 0.8rem; }
"""


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _inline(text: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        code, bold, label, url = match.groups()
        if code is not None:
            parts.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            parts.append(f"<strong>{escape(bold)}</strong>")
        else:
            # Only web links and in-page anchors become links: no javascript: URLs.
            if url.startswith(("http://", "https://", "#")):
                parts.append(f'<a href="{escape(url)}">{escape(label)}</a>')
            else:
                parts.append(f"{escape(label)} (<code>{escape(url)}</code>)")
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _block(lines: list[str]) -> str:
    if all(line.lstrip().startswith(("- ", "* ")) or line.startswith("  ") for line in lines):
        items: list[str] = []
        for line in lines:
            if line.lstrip().startswith(("- ", "* ")):
                items.append(line.lstrip()[2:])
            else:
                items[-1] += " " + line.strip()
        return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>"
    return f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>"


def render_markdown(markdown: str) -> str:
    """The body HTML of a runbook document."""
    html: list[str] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if paragraph:
            html.append(_block(paragraph))
            paragraph.clear()

    for line in markdown.splitlines():
        if code is not None:
            if line.strip().startswith(_FENCE):
                html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
        elif line.strip().startswith(_FENCE):
            flush()
            code = []
        elif _COMMENT.match(line):
            continue
        elif heading := _HEADING.match(line):
            flush()
            level = len(heading.group(1))
            text = heading.group(2)
            html.append(f'<h{level} id="{escape(anchor(text))}">{_inline(text)}</h{level}>')
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    if code is not None:  # an unclosed fence: keep its text rather than drop it
        html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
    return "".join(html)


def render_runbooks_page(markdown: str) -> str:
    """The whole page."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Runbooks</title><style>{_STYLE}</style></head><body>"
        f"{render_markdown(markdown)}</body></html>"
    )
