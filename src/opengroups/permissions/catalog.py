"""The permission catalog: sections of boolean features with their defaults.

The catalog is data. The built-in one is Open WebUI 0.12.4's ``USER_PERMISSIONS`` tree (every
key and default); a deployment may load its own from a JSON or YAML file whose content is the
same shape: an object of sections, each an object whose leaves are booleans (the defaults).
Sections may nest. Keys are addressed with dots: ``chat.delete``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PermissionTree = dict[str, Any]


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names the file and the problem."""


class PermissionTreeError(ValueError):
    """A permissions tree that does not fit the catalog; ``path`` names the offending key."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


def _all(keys: str, value: bool) -> dict[str, bool]:
    return dict.fromkeys(keys.split(), value)


OPEN_WEBUI_TREE: dict[str, dict[str, bool]] = {
    "workspace": _all(
        "models knowledge prompts tools skills models_import models_export models_hidden "
        "prompts_import prompts_export tools_import tools_export skills_import skills_export",
        False,
    ),
    "sharing": _all(
        "models public_models knowledge public_knowledge prompts public_prompts tools "
        "public_tools skills public_skills notes public_notes folders public_chats open_chats "
        "public_calendars",
        False,
    ),
    "access_grants": _all("allow_users allow_groups", True),
    "chat": {
        **_all(
            "controls valves system_prompt params file_upload web_upload delete delete_message "
            "continue_response regenerate_response rate_response edit share export import stt tts "
            "call multiple_models temporary",
            True,
        ),
        "temporary_enforced": False,
    },
    "features": {
        "api_keys": False,
        "notes": True,
        "folders": True,
        "channels": True,
        "encrypted_channels": False,
        "direct_tool_servers": False,
        "web_search": True,
        "image_generation": True,
        "code_interpreter": True,
        "memories": True,
        "automations": False,
        "calendar": True,
        "webhooks": False,
    },
    "settings": {"interface": True},
}


def _walk(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield from _walk(value, path)
        else:
            yield path, value


@dataclass(frozen=True)
class Catalog:
    """Every permission key (dotted) with its default, in catalog order."""

    defaults: Mapping[str, bool]
    version: str = field(default="")

    @classmethod
    def from_tree(cls, tree: object, *, source: str = "catalog") -> Catalog:
        """Build a catalog from a nested tree. Raises ``CatalogError`` naming the bad key."""
        if not isinstance(tree, Mapping) or not tree:
            raise CatalogError(f"{source}: must be a non-empty object of sections")
        defaults: dict[str, bool] = {}
        _collect(tree, "", defaults, source, top=True)
        canonical = json.dumps(_nest(defaults), sort_keys=True, separators=(",", ":"))
        version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return cls(defaults=defaults, version=version)

    def default_tree(self) -> PermissionTree:
        return _nest(self.defaults)

    def tree_schema(self) -> dict[str, Any]:
        """The JSON Schema of the trees ``validate_tree`` accepts: catalog keys only, booleans
        at the leaves, every key optional."""

        def node(value: Any) -> dict[str, Any]:
            if not isinstance(value, Mapping):
                return {"type": "boolean"}
            return {
                "type": "object",
                "properties": {key: node(item) for key, item in value.items()},
                "additionalProperties": False,
            }

        return node(self.default_tree())

    def validate_tree(self, tree: object) -> PermissionTree:
        """Check a sparse tree: only catalog keys, booleans at the leaves, objects above them.

        Returns a copy. Raises ``PermissionTreeError`` naming the first offending path.
        """
        if not isinstance(tree, Mapping):
            raise PermissionTreeError("", "permissions must be an object")
        self._validate(tree, "")
        return json.loads(json.dumps(tree))  # type: ignore[no-any-return]

    def _validate(self, tree: Mapping[str, Any], prefix: str) -> None:
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            is_leaf = path in self.defaults
            is_section = any(name.startswith(path + ".") for name in self.defaults)
            if not is_leaf and not is_section:
                raise PermissionTreeError(path, "unknown permission")
            if is_leaf and not isinstance(value, bool):
                raise PermissionTreeError(path, "must be true or false")
            if is_section:
                if not isinstance(value, Mapping):
                    raise PermissionTreeError(path, "must be an object of permissions")
                self._validate(value, path)

    def granted(self, tree: Mapping[str, Any] | None) -> frozenset[str]:
        """The catalog keys a (sparse) tree sets to ``true``; keys the catalog lacks are ignored,
        so a group stored under an older catalog keeps working."""
        if not tree:
            return frozenset()
        return frozenset(
            path for path, value in _walk(tree) if value is True and path in self.defaults
        )

    def values(self, tree: Mapping[str, Any] | None) -> dict[str, bool]:
        """Every catalog key's value in ``tree``, catalog defaults where the tree is silent."""
        given = {path: value for path, value in _walk(tree or {}) if isinstance(value, bool)}
        return {key: given.get(key, default) for key, default in self.defaults.items()}

    def sparse(self, granted: Iterable[str]) -> PermissionTree:
        """A tree holding only the given catalog keys, each ``true``."""
        chosen = set(granted)
        return _nest({key: True for key in self.defaults if key in chosen})

    def render(self, values: Mapping[str, bool]) -> PermissionTree:
        """A nested tree of every catalog key from flat ``values`` (missing keys are false)."""
        return _nest({key: bool(values.get(key, False)) for key in self.defaults})


def _collect(
    tree: Mapping[str, Any], prefix: str, out: dict[str, bool], source: str, *, top: bool
) -> None:
    for key, value in tree.items():
        if not isinstance(key, str) or not key or "." in key:
            raise CatalogError(
                f"{source}: key {key!r} under '{prefix or '/'}' must be a name without dots"
            )
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            if not value:
                raise CatalogError(f"{source}: section '{path}' is empty")
            _collect(value, path, out, source, top=False)
        elif isinstance(value, bool):
            if top:
                raise CatalogError(f"{source}: '{path}' must be a section (an object), not a leaf")
            out[path] = value
        else:
            raise CatalogError(
                f"{source}: '{path}' must be true or false (its default) or a section, "
                f"not {type(value).__name__}"
            )


def _nest(flat: Mapping[str, bool]) -> PermissionTree:
    tree: PermissionTree = {}
    for path, value in flat.items():
        node = tree
        *sections, leaf = path.split(".")
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value
    return tree


BUILTIN_CATALOG = Catalog.from_tree(OPEN_WEBUI_TREE, source="built-in catalog")


def load_catalog(path: Path | None) -> Catalog:
    """The catalog in ``path`` (``.json``, ``.yaml`` or ``.yml``), or the built-in one.

    Raises ``CatalogError`` with the file name and what is wrong.
    """
    if path is None:
        return BUILTIN_CATALOG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            content = json.loads(text)
        elif suffix in {".yaml", ".yml"}:
            import yaml

            content = yaml.safe_load(text)
        else:
            raise CatalogError(f"{path}: the file must end in .json, .yaml or .yml")
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except ImportError as exc:  # pragma: no cover - PyYAML is a dependency
        raise CatalogError(f"{path}: reading YAML needs PyYAML") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("yaml"):
            raise CatalogError(f"{path}: not valid YAML ({exc})") from exc
        raise
    return Catalog.from_tree(content, source=str(path))
