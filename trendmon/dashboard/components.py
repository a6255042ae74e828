"""Components every page shares: untrusted text, tables, sparklines, panels, the nav bar.

Everything here builds Dash components from plain values; nothing reads a store. Untrusted text
goes through :func:`text` only: a ``Span`` whose children is a plain string (React escapes it),
cleaned and truncated, isolated from the surrounding layout's direction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from dash import dcc, html

from trendmon.dashboard import formatting as fmt
from trendmon.dashboard.data import UnknownEntityError
from trendmon.dashboard.tables import Column, Table
from trendmon.errors import RetryableError, TrendmonError

log = logging.getLogger(__name__)


def text(value: object, limit: int = 80, className: str = "") -> html.Span:
    """Untrusted text as text: cleaned, cut at ``limit`` with an ellipsis, the full (cleaned,
    at most 500 characters) text as its tooltip."""
    shown = fmt.clean_text(value, limit)
    full = fmt.clean_text(value, 500)
    return html.Span(
        shown,
        className=f"ut {className}".strip(),
        dir="auto",
        title=full if full != shown else None,
    )


def entity_href(entity: str) -> str:
    """The detail page of an entity key: ``hashtag:dance`` -> ``/hashtag/dance``."""
    kind, _, ident = entity.partition(":")
    return f"/{kind}/{quote(ident, safe='')}"


def video_href(video_id: str) -> str:
    return f"/video/{quote(video_id, safe='')}"


def entity_label(kind: str, name: object) -> str:
    """How an entity's name reads: ``#dance``, ``@maria``, a sound title as it is."""
    label = str(name or "")
    if kind == "hashtag" and not label.startswith("#"):
        return "#" + label
    return label


def spark_style(values: tuple[float, ...] | list[float]) -> dict[str, str]:
    """A bar chart as an SVG background image: one style property to update in place, no
    elements. Only numbers go into it."""
    if not values:
        return {"backgroundImage": "none"}
    top = max(values) or 1.0
    bars = "".join(
        f'<rect x="{i * 10 + 1}" y="{100 - h:.1f}" width="8" height="{h:.1f}"/>'
        for i, v in enumerate(values)
        for h in (max(v / top * 100, 3.0),)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {len(values) * 10} 100" '
        f'preserveAspectRatio="none"><g fill="#36d1ff">{bars}</g></svg>'
    )
    return {"backgroundImage": f'url("data:image/svg+xml,{quote(svg)}")'}


def sparkline(values: Sequence[float], className: str = "") -> html.Div:
    """A small bar chart (see :func:`spark_style`)."""
    return html.Div(className=f"w-spark {className}".strip(), style=spark_style(list(values)))


def cell(column: Column, row: dict[str, Any]) -> Any:
    """One formatted table cell (a link where the column has one).

    Cells hold plain strings where they can: the renderer's cost is per component, and a table
    of 50 rows is a thousand of them.
    """
    value = row.get(column.key)
    rounded = bool(row.get("rounded"))
    kind = column.kind
    content: Any
    title = None
    if kind == "text":
        content = fmt.clean_text(value, column.limit)
        full = fmt.clean_text(value, 500)
        title = full if full != content else None
    elif kind == "count":
        content = fmt.count(value, rounded)
    elif kind == "compact":
        content = fmt.compact(value)
    elif kind == "rate":
        content = fmt.rate(value)
    elif kind == "percent":
        content = fmt.percent(value)
    elif kind == "growth":
        content = fmt.growth(value)
    elif kind == "time":
        content = fmt.event_time(value)
    elif kind == "bool":
        content = "✔" if value else ""
    elif kind == "change":
        arrow, cls = fmt.rank_change(row.get("rank"), row.get("prev_rank"), bool(row.get("is_new")))
        return html.Td(arrow, className=f"c-change move {cls}")
    elif kind == "score":
        content = "–" if value is None else f"{value:,.3g}" if value < 1000 else f"{value:,.0f}"
    else:
        content = "" if value is None else str(value)
    href = column.href(row) if column.href is not None else None
    if href:
        content = dcc.Link(content, href=href, title=title)
        title = None
    if kind == "text":
        # Untrusted: a plain string child is rendered as text; isolated from the page's
        # direction.
        return html.Td(content, className="c-text ut", dir="auto", title=title)
    return html.Td(content, className=f"c-{kind}")


def table(tbl: Table, export: bool = True, table_id: str | None = None) -> html.Div:
    """A table with its export links (CSV, JSON) and note."""
    head = html.Tr([html.Th(c.label, className=f"c-{c.kind}") for c in tbl.columns])
    body = [html.Tr([cell(c, row) for c in tbl.columns]) for row in tbl.rows]
    parts: list[Any] = []
    if export:
        parts.append(export_links(tbl))
    if tbl.note:
        parts.append(html.P(tbl.note, className="note"))
    if tbl.rows:
        parts.append(html.Table([html.Thead(head), html.Tbody(body)], className="grid"))
    else:
        parts.append(html.P(tbl.empty, className="empty"))
    return html.Div(parts, className="table-wrap", id=table_id or f"table-{tbl.name}")


def export_links(tbl: Table) -> html.Div:
    query = urlencode({k: v for k, v in tbl.params.items() if v not in (None, "")})
    suffix = f"?{query}" if query else ""
    return html.Div(
        [
            html.Span(f"{len(tbl.rows)} rows · export ", className="muted"),
            html.A("CSV", href=f"/export/{tbl.name}.csv{suffix}", className="export-csv"),
            " · ",
            html.A("JSON", href=f"/export/{tbl.name}.json{suffix}", className="export-json"),
        ],
        className="exports",
    )


def panel(title: str, message: str, kind: str = "error") -> html.Div:
    """A clear message in place of content: what happened and what to do."""
    return html.Div(
        [html.H2(title), html.P(message)], className=f"panel panel-{kind}", role="alert"
    )


def not_found(what: str, ident: str) -> html.Div:
    """The friendly page for an unknown video or entity in a URL."""
    return html.Div(
        [
            html.H1("Not found"),
            html.P(
                [
                    f"There is no {what} ",
                    text(ident, 80, "ident"),
                    " in the live boards or the history. It may have expired from the boards, "
                    "or the link may be mistyped.",
                ]
            ),
            html.P(
                [
                    "Try the ",
                    dcc.Link("rankings", href="/rankings"),
                    ", the ",
                    dcc.Link("hashtags", href="/hashtags"),
                    " or the ",
                    dcc.Link("spikes", href="/spikes"),
                    ".",
                ]
            ),
        ],
        className="panel panel-notfound",
        id="not-found",
    )


NAV = (
    ("Wall", "/wall"),
    ("Rankings", "/rankings"),
    ("Hashtags", "/hashtags"),
    ("Sounds", "/sounds"),
    ("Creators", "/creators"),
    ("Effects", "/effects"),
    ("Spikes", "/spikes"),
    ("Next up", "/next"),
    ("Data health", "/health"),
    ("Your accounts", "/account"),
    ("Alerts", "/alerts"),
    ("Admin", "/admin"),
)


def navbar(
    path: str, user: str = "", csrf: str = "", opens: Callable[[str], bool] | None = None
) -> html.Nav:
    """The page links (those ``opens`` allows), and who is signed in with a sign-out button
    (a form posting the session's CSRF token to ``/logout``)."""
    links = [
        dcc.Link(label, href=href, className="active" if path.startswith(href) else "")
        for label, href in NAV
        if opens is None or opens(href)
    ]
    account = html.Form(
        [
            html.Span(user, className="nav-user", id="nav-user"),
            dcc.Input(type="hidden", name="csrf_token", value=csrf),
            html.Button("Sign out", type="submit", id="nav-logout", className="nav-logout"),
        ],
        method="POST",
        action="/logout",
        className="nav-account",
    )
    return html.Nav(
        [dcc.Link("trendmon", href="/", className="brand"), *links, account], className="navbar"
    )


def choice(
    component_id: str, options: Sequence[str] | Sequence[tuple[str, str]], value: str | None
) -> dcc.Dropdown:
    """A small dropdown of fixed choices (values are ours, never untrusted text)."""
    opts = [
        {"label": o, "value": o} if isinstance(o, str) else {"label": o[1], "value": o[0]}
        for o in options
    ]
    return dcc.Dropdown(
        id=component_id, options=opts, value=value, clearable=False, className="choice"
    )


def field(label: str, control: Any) -> html.Div:
    """A labelled filter control (a div: a label element would pass clicks to the control)."""
    return html.Div([html.Span(label, className="field-label"), control], className="field")


def away(exc: RetryableError) -> str:
    """What people are told when a store is away: which store, never its address or files.

    >>> away(ServiceUnavailableError("Redis at /tmp/x.sock ...", "the live store (Redis)"))
    ... # doctest: +SKIP
    'The live store (Redis) does not answer'
    """
    service = getattr(exc, "service", "") or "a store"
    return f"{service[:1].upper()}{service[1:]} does not answer"


def unavailable(exc: RetryableError) -> str:
    """:func:`away`, after writing the whole message (address, files, the fix) to the
    dashboard's log on one line."""
    log.warning("%s", " ".join(str(exc).split()))
    return away(exc)


def guarded(build: Callable[[], Any]) -> Any:
    """A page or a panel: what people see when a store fails or a URL names nothing."""
    try:
        return build()
    except UnknownEntityError as exc:
        return not_found(exc.what, exc.ident)
    except RetryableError as exc:
        return panel(
            "A store does not answer", f"{unavailable(exc)}. This page retries when reloaded."
        )
    except TrendmonError as exc:
        return panel("This cannot be shown", str(exc))
    except Exception:
        log.exception("page failed")
        return panel(
            "Something went wrong",
            "This page failed to build; the error is in the dashboard's log. Other pages may "
            "still work.",
        )
