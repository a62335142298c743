"""The permission catalog: sections of boolean features with their defaults.

The catalog is data. The built-in one is Open WebUI 0.12.4's ``USER_PERMISSIONS`` tree (every
key and default), with a description of each key; a deployment may load its own from a JSON or
YAML file whose content is the same shape: an object of sections, each an object whose leaves
are booleans (the defaults), or ``{default, description}`` objects for keys that say what they
allow. Sections may nest. Keys are addressed with dots: ``chat.delete``.
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

# What each built-in key lets a member do in Open WebUI, as the admin page shows it.
OPEN_WEBUI_DESCRIPTIONS: dict[str, str] = {
    "workspace.models": "Open the Models workspace: create and edit custom models.",
    "workspace.knowledge": "Open the Knowledge workspace: create and edit knowledge bases.",
    "workspace.prompts": "Open the Prompts workspace: create and edit saved prompts.",
    "workspace.tools": "Open the Tools workspace: add tools, which run code on the server.",
    "workspace.skills": "Open the Skills workspace: create and edit skills.",
    "workspace.models_import": "Import models from a file.",
    "workspace.models_export": "Export models to a file.",
    "workspace.models_hidden": "Hide models from the model list, and see the hidden ones.",
    "workspace.prompts_import": "Import prompts from a file.",
    "workspace.prompts_export": "Export prompts to a file.",
    "workspace.tools_import": "Import tools from a file.",
    "workspace.tools_export": "Export tools to a file.",
    "workspace.skills_import": "Import skills from a file.",
    "workspace.skills_export": "Export skills to a file.",
    "sharing.models": "Share their models with chosen users and groups.",
    "sharing.public_models": "Make their models public: readable by every user.",
    "sharing.knowledge": "Share their knowledge bases with chosen users and groups.",
    "sharing.public_knowledge": "Make their knowledge bases public.",
    "sharing.prompts": "Share their prompts with chosen users and groups.",
    "sharing.public_prompts": "Make their prompts public.",
    "sharing.tools": "Share their tools with chosen users and groups.",
    "sharing.public_tools": "Make their tools public.",
    "sharing.skills": "Share their skills with chosen users and groups.",
    "sharing.public_skills": "Make their skills public.",
    "sharing.notes": "Share their notes with chosen users and groups.",
    "sharing.public_notes": "Make their notes public.",
    "sharing.folders": "Share their chat folders with chosen users and groups.",
    "sharing.public_chats": "Share a chat publicly, by a link.",
    "sharing.open_chats": "Share a chat openly, for others to continue it.",
    "sharing.public_calendars": "Make their calendars public.",
    "access_grants.allow_users": "Name individual users when granting access to their things.",
    "access_grants.allow_groups": "Name groups when granting access to their things.",
    "chat.controls": "Open the chat controls panel.",
    "chat.valves": "Set the valves (settings) of tools and functions in a chat.",
    "chat.system_prompt": "Set a chat's system prompt.",
    "chat.params": "Change a chat's model parameters (temperature and the like).",
    "chat.file_upload": "Upload files into a chat.",
    "chat.web_upload": "Attach web pages to a chat by their address.",
    "chat.delete": "Delete chats.",
    "chat.delete_message": "Delete single messages of a chat.",
    "chat.continue_response": "Ask the model to continue a response.",
    "chat.regenerate_response": "Regenerate a response.",
    "chat.rate_response": "Rate responses (thumbs up or down).",
    "chat.edit": "Edit messages in a chat.",
    "chat.share": "Share chats with other users.",
    "chat.export": "Export chats.",
    "chat.import": "Import chats.",
    "chat.stt": "Dictate messages (speech to text).",
    "chat.tts": "Have responses read aloud (text to speech).",
    "chat.call": "Talk to a model in a voice call.",
    "chat.multiple_models": "Ask several models at once in one chat.",
    "chat.temporary": "Start temporary chats, which are not saved.",
    "chat.temporary_enforced": "Every chat is temporary: none is saved.",
    "features.api_keys": "Create personal API keys.",
    "features.notes": "Use notes.",
    "features.folders": "Sort chats into folders.",
    "features.channels": "Use channels (group conversations).",
    "features.encrypted_channels": "Use end-to-end encrypted channels.",
    "features.direct_tool_servers": "Connect their own tool servers, bypassing admin-set ones.",
    "features.web_search": "Let the model search the web.",
    "features.image_generation": "Generate images.",
    "features.code_interpreter": "Let the model run code in the code interpreter.",
    "features.memories": "Let the model remember things across chats (memories).",
    "features.automations": "Schedule automations that run prompts on their own.",
    "features.calendar": "Use the calendar.",
    "features.webhooks": "Set their own webhooks for notifications.",
    "settings.interface": "Change their interface settings.",
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
    """Every permission key (dotted) with its default, in catalog order, and the descriptions
    of the keys that have one."""

    defaults: Mapping[str, bool]
    version: str = field(default="")
    descriptions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_tree(
        cls,
        tree: object,
        *,
        source: str = "catalog",
        descriptions: Mapping[str, str] | None = None,
    ) -> Catalog:
        """Build a catalog from a nested tree (leaves: a default, or ``{default,
        description}``), plus ``descriptions`` by dotted key. Raises ``CatalogError`` naming
        the bad key.

        The version hashes the keys and their defaults only: a reworded description is the
        same catalog for everything that stores or compares trees."""
        if not isinstance(tree, Mapping) or not tree:
            raise CatalogError(f"{source}: must be a non-empty object of sections")
        leaves: dict[str, tuple[bool, str]] = {}
        _collect(tree, "", leaves, source, top=True)
        defaults = {key: default for key, (default, _) in leaves.items()}
        described = {key: text for key, (_, text) in leaves.items() if text}
        for key, text in (descriptions or {}).items():
            if key not in defaults:
                raise CatalogError(f"{source}: a description names '{key}', which is no key")
            described[key] = text.strip()
        canonical = json.dumps(_nest(defaults), sort_keys=True, separators=(",", ":"))
        version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return cls(defaults=defaults, version=version, descriptions=described)

    def description(self, key: str) -> str:
        """What the key allows, or an empty string when the catalog does not say."""
        return self.descriptions.get(key, "")

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


_LEAF_FIELDS = frozenset({"default", "description"})


def _is_described_leaf(value: Mapping[str, Any]) -> bool:
    """A ``{default, description}`` object: what tells a described key from a section (whose
    entries are booleans or objects, never text)."""
    return isinstance(value.get("description"), str)


def _described_leaf(value: Mapping[str, Any], path: str, source: str) -> tuple[bool, str]:
    extra = sorted(str(name) for name in value if name not in _LEAF_FIELDS)
    if extra:
        raise CatalogError(
            f"{source}: '{path}' has a description, so it is a key and may hold only "
            f"'default' and 'description', not {', '.join(repr(name) for name in extra)}"
        )
    default = value.get("default")
    if not isinstance(default, bool):
        raise CatalogError(f"{source}: '{path}.default' must be true or false")
    return default, str(value["description"]).strip()


def _collect(
    tree: Mapping[str, Any],
    prefix: str,
    out: dict[str, tuple[bool, str]],
    source: str,
    *,
    top: bool,
) -> None:
    for key, value in tree.items():
        if not isinstance(key, str) or not key or "." in key:
            raise CatalogError(
                f"{source}: key {key!r} under '{prefix or '/'}' must be a name without dots"
            )
        path = f"{prefix}.{key}" if prefix else key
        leaf = isinstance(value, bool) or (isinstance(value, Mapping) and _is_described_leaf(value))
        if leaf and top:
            raise CatalogError(f"{source}: '{path}' must be a section (an object), not a leaf")
        if isinstance(value, bool):
            out[path] = (value, "")
        elif isinstance(value, Mapping) and leaf:
            out[path] = _described_leaf(value, path, source)
        elif isinstance(value, Mapping):
            if not value:
                raise CatalogError(f"{source}: section '{path}' is empty")
            _collect(value, path, out, source, top=False)
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


BUILTIN_CATALOG = Catalog.from_tree(
    OPEN_WEBUI_TREE, source="built-in catalog", descriptions=OPEN_WEBUI_DESCRIPTIONS
)


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
