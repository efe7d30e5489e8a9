"""Static HTML of a Dash component tree: a page's first paint, shown before Dash's scripts have run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html import escape
from typing import Any

from dash.development.base_component import Component

HTML_NAMESPACE = "dash_html_components"
VOID_TAGS = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
# Dash's names for tags that clash with Python or React names.
TAG_NAMES = {"MapEl": "map", "ObjectEl": "object"}
ATTRIBUTE_NAMES = {"className": "class", "htmlFor": "for"}
# Props that are Dash's own state, not HTML attributes.
DASH_PROPS = frozenset(
    {"children", "id", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "loading_state", "setProps"}
)


def _style(style: Mapping[str, Any]) -> str:
    def css_name(name: str) -> str:
        return "".join(f"-{c.lower()}" if c.isupper() else c for c in name)

    return "; ".join(f"{css_name(k)}: {v}" for k, v in style.items())


def _attributes(props: Mapping[str, Any], element_id: str | None) -> str:
    out = [f' id="{escape(element_id)}"'] if element_id else []
    for key, value in props.items():
        if key in DASH_PROPS or value is None or value is False:
            continue
        name = ATTRIBUTE_NAMES.get(key, key.lower())
        if key == "style":
            value = _style(value)
        out.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    return "".join(out)


def static_html(node: Any, *, ids: Mapping[str, str] | None = None) -> str:
    """``node`` as HTML: html.* components as their tags, dcc.Link as a link, text escaped.

    Other components (dropdowns, stores, graphs) need Dash's scripts and are left out. Element ids are
    left out as well, so that nothing clashes with the page Dash renders next to it, except those in
    ``ids``, written under the id they map to.
    """
    ids = ids or {}
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, str | int | float):
        return escape(str(node), quote=False)
    if isinstance(node, list | tuple):
        return "".join(static_html(child, ids=ids) for child in node)
    if not isinstance(node, Component):
        return ""
    # The component as Dash sends it to the browser: its props, type and namespace (public, unlike _type).
    spec = node.to_plotly_json()
    props = {k: v for k, v in spec["props"].items() if v is not None}
    element_id = ids.get(props["id"]) if isinstance(props.get("id"), str) else None
    kind = str(spec["type"])
    if spec["namespace"] == HTML_NAMESPACE:
        tag = TAG_NAMES.get(kind, kind.lower())
    elif kind == "Link":
        tag, props = "a", {k: v for k, v in props.items() if k in {"children", "href", "className", "title", "target"}}
    else:
        return ""
    attrs = _attributes(props, element_id)
    if tag in VOID_TAGS:
        return f"<{tag}{attrs}>"
    return f"<{tag}{attrs}>{static_html(props.get('children'), ids=ids)}</{tag}>"


def walk(node: Any) -> Iterator[Component]:
    """Every component in a tree, parents before their children."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child)
    elif isinstance(node, Component):
        yield node
        yield from walk(getattr(node, "children", None))


def find(node: Any, component_id: str) -> Component | None:
    """The component with ``component_id`` in a tree, None when there is none."""
    return next((c for c in walk(node) if getattr(c, "id", None) == component_id), None)
