"""References from one record to another that only link when the viewer may open the target.

    {% linkto "customers:detail" order.customer.number class="font-monospace" data-testid="x" %}
      {{ order.customer.number }}
    {% endlinkto %}

renders ``<a href="/customers/C-1/" class=… data-testid=…>…</a>`` for a user whose role may open
the customer page, and the same content in a ``<span>`` (text, no link) for one who may not, so
nobody follows a link into a 403. Which roles may open a page is read from the view itself (the
roles ``oms.roles.role_required`` records on it), so the template never repeats the rule.
"""

from __future__ import annotations

from django import template
from django.urls import resolve, reverse
from django.utils.html import format_html, format_html_join

from oms.roles import has_role

register = template.Library()

_ROLES_BY_VIEW: dict[str, tuple[str, ...] | None] = {}


def view_roles(name: str, url: str) -> tuple[str, ...] | None:
    """The roles the view behind URL name ``name`` admits (None: no role rule on the view)."""
    if name not in _ROLES_BY_VIEW:
        _ROLES_BY_VIEW[name] = getattr(resolve(url).func, "oms_roles", None)
    return _ROLES_BY_VIEW[name]


def may_open_url(user, name: str, url: str) -> bool:
    roles = view_roles(name, url)
    if roles is None:
        return True
    return bool(user and user.is_authenticated) and has_role(user, *roles)


class LinkToNode(template.Node):
    def __init__(self, name, args, attrs, nodelist):
        self.name, self.args, self.attrs, self.nodelist = name, args, attrs, nodelist

    def render(self, context):
        name = self.name.resolve(context)
        url = reverse(name, args=[arg.resolve(context) for arg in self.args])
        content = self.nodelist.render(context)
        attrs = [(key, value.resolve(context)) for key, value in self.attrs]
        request = context.get("request")
        user = getattr(request, "user", None) or context.get("user")
        html_attrs = format_html_join("", ' {}="{}"', ((k, v) for k, v in attrs if v not in (None, "")))
        if may_open_url(user, name, url):
            return format_html('<a href="{}"{}>{}</a>', url, html_attrs, content)
        return format_html("<span data-no-access{}>{}</span>", html_attrs, content)


@register.tag
def linkto(parser, token):
    """``{% linkto "app:view" arg… key="value"… %}content{% endlinkto %}`` (see the module)."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("linkto needs a URL name")
    name = parser.compile_filter(bits[0])
    args, attrs = [], []
    for bit in bits[1:]:
        key, sep, value = bit.partition("=")
        if sep and not key.startswith(('"', "'")):
            attrs.append((key, parser.compile_filter(value)))
        else:
            args.append(parser.compile_filter(bit))
    nodelist = parser.parse(("endlinkto",))
    parser.delete_first_token()
    return LinkToNode(name, args, attrs, nodelist)
