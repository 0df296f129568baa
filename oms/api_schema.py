"""The OpenAPI schema's operations (drf-spectacular), with the API client scopes of each."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


class ScopedAutoSchema(AutoSchema):
    """drf-spectacular's schema, with each operation's API client scopes (from its
    ``api_access`` permission) in the description and in ``x-required-scopes`` (an empty list:
    any client). OpenAPI 3.0 lists scopes in ``security`` for OAuth only, hence the extension."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        checks = [p for p in self.view.get_permissions() if hasattr(p, "required_scopes")]
        if not checks:
            return operation
        scopes = list(checks[0].required_scopes)
        operation["x-required-scopes"] = scopes
        named = " or ".join(f"`{s}`" for s in scopes) if scopes else "any API client"
        line = f"API client scopes: {named}."
        operation["description"] = f"{operation.get('description', '')}\n\n{line}".strip()
        return operation
