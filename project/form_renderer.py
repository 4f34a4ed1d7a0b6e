"""Form widgets rendered in Python: the same markup as Django's widget templates, cheaper.

A queue page renders about 25 widgets and a complaint page about 45, each through two or
three nested templates (the widget, ``attrs.html``, one ``select_option.html`` per option),
which took most of those pages' time. :class:`FastWidgetRenderer` writes the markup of the
common widgets (inputs, selects, text areas, radio and checkbox lists) directly, character
for character as Django's templates would (``tests/project/test_form_renderer.py`` compares
them), and leaves every other template to Django's renderer.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
# Templates that are only ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
        "color",
        "search",
        "tel",
        "file",
    )
)
SELECT = f"{WIDGETS}select.html"
SELECT_OPTION = f"{WIDGETS}select_option.html"
TEXTAREA = f"{WIDGETS}textarea.html"
MULTIPLE_INPUTS = frozenset(
    f"{WIDGETS}{name}.html" for name in ("radio", "checkbox_select", "multiple_input")
)
# Option templates that are only ``{% include "django/forms/widgets/input_option.html" %}``.
INPUT_OPTIONS = frozenset(f"{WIDGETS}{name}.html" for name in ("radio_option", "checkbox_option"))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless already safe."""
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


def _shown(value: Any) -> str:
    """``{{ value }}``: localised and escaped as the template engine shows a variable."""
    if isinstance(value, str):
        return conditional_escape(value)
    return conditional_escape(localize(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"`` each, a bare name for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_shown(name)}")
        else:
            parts.append(f" {_shown(name)}={chr(34)}{_formatted(value)}{chr(34)}")
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """``input.html``."""
    value = widget["value"]
    given = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{given}{_attrs(widget['attrs'])}>"
    )


def _input_option(option: dict[str, Any]) -> str:
    """``input_option.html`` as included by ``radio_option.html`` / ``checkbox_option.html``
    (each template's closing newline included)."""
    if not option.get("wrap_label"):
        return _input(option) + "\n\n\n"
    label_id = option["attrs"].get("id")
    opening = f'<label for="{_shown(label_id)}">' if label_id else "<label>"
    return f"{opening}{_input(option)}\n {_shown(option['label'])}</label>\n\n"


class FastWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with the common widgets' markup written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            rendered = self._render_widget(template_name, widget)
            if rendered is not None:
                return rendered
        return super().render(template_name, context, request)

    def _render_widget(self, template_name: str, widget: dict[str, Any]) -> str | None:
        if template_name in INPUTS:
            return _input(widget)
        if template_name == SELECT:
            return self._select(widget)
        if template_name == TEXTAREA:
            value = widget["value"]
            body = _shown(value) if value else ""
            name, attrs = _shown(widget["name"]), _attrs(widget["attrs"])
            return f'<textarea name="{name}"{attrs}>\n{body}</textarea>'
        if template_name in MULTIPLE_INPUTS:
            return self._multiple_inputs(widget)
        if template_name in INPUT_OPTIONS:
            # One choice rendered alone (``BoundWidget.tag``, e.g. a checkbox per column),
            # stripped as every rendered template is.
            return _input_option(widget).strip()
        return None

    @staticmethod
    def _select(widget: dict[str, Any]) -> str | None:
        parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
            for option in options:
                if option.get("template_name") != SELECT_OPTION:
                    return None
                parts.append(
                    f'\n  <option value="{_formatted(option["value"])}"'
                    f"{_attrs(option['attrs'])}>{_shown(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)

    @staticmethod
    def _multiple_inputs(widget: dict[str, Any]) -> str | None:
        attrs = widget["attrs"]
        element_id, css_class = attrs.get("id"), attrs.get("class")
        parts = [
            "<div",
            f' id="{_shown(element_id)}"' if element_id else "",
            f' class="{_shown(css_class)}"' if css_class else "",
            ">",
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{_shown(group)}</label>")
            for option in options:
                if option.get("template_name") not in INPUT_OPTIONS:
                    return None
                parts.append(f"<div>\n    {_input_option(option)}</div>")
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        return "".join(parts)
