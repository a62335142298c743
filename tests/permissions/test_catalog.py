"""The catalog: the built-in one is Open WebUI 0.12.4's tree (reference §5.1), trees are
validated against it with the offending path, and catalog files are loaded or refused with a
message naming the file and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opengroups.permissions import (
    BUILTIN_CATALOG,
    Catalog,
    CatalogError,
    PermissionTreeError,
    load_catalog,
)


def _keys(section: str, names: str, default: bool) -> dict[str, bool]:
    return {f"{section}.{name}": default for name in names.split()}


# Reference §5.1, written out again here so that a slip in the source is caught.
OPEN_WEBUI_DEFAULTS: dict[str, bool] = {
    **_keys(
        "workspace",
        "models knowledge prompts tools skills models_import models_export models_hidden "
        "prompts_import prompts_export tools_import tools_export skills_import skills_export",
        False,
    ),
    **_keys(
        "sharing",
        "models public_models knowledge public_knowledge prompts public_prompts tools "
        "public_tools skills public_skills notes public_notes folders public_chats open_chats "
        "public_calendars",
        False,
    ),
    **_keys("access_grants", "allow_users allow_groups", True),
    **_keys(
        "chat",
        "controls valves system_prompt params file_upload web_upload delete delete_message "
        "continue_response regenerate_response rate_response edit share export import stt tts "
        "call multiple_models temporary",
        True,
    ),
    "chat.temporary_enforced": False,
    **_keys("features", "notes folders channels web_search image_generation", True),
    **_keys("features", "code_interpreter memories calendar", True),
    **_keys(
        "features", "api_keys encrypted_channels direct_tool_servers automations webhooks", False
    ),
    "settings.interface": True,
}


def test_builtin_catalog_is_open_webui_tree_with_its_defaults() -> None:
    assert dict(BUILTIN_CATALOG.defaults) == OPEN_WEBUI_DEFAULTS


def test_builtin_sections_in_open_webui_order() -> None:
    assert list(BUILTIN_CATALOG.default_tree()) == [
        "workspace",
        "sharing",
        "access_grants",
        "chat",
        "features",
        "settings",
    ]


@pytest.mark.parametrize(
    ("key", "default"),
    [
        ("workspace.models", False),
        ("workspace.skills_export", False),
        ("sharing.public_chats", False),
        ("sharing.open_chats", False),
        ("access_grants.allow_users", True),
        ("access_grants.allow_groups", True),
        ("chat.delete", True),
        ("chat.temporary", True),
        ("chat.temporary_enforced", False),
        ("features.api_keys", False),
        ("features.notes", True),
        ("features.webhooks", False),
        ("features.calendar", True),
        ("settings.interface", True),
    ],
)
def test_builtin_spot_checks(key: str, default: bool) -> None:
    section, leaf = key.split(".")
    assert BUILTIN_CATALOG.defaults[key] is default
    assert BUILTIN_CATALOG.default_tree()[section][leaf] is default


def test_load_catalog_without_a_file_is_the_builtin_one() -> None:
    assert load_catalog(None) is BUILTIN_CATALOG


# --- validating a group's tree -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "path", "reason"),
    [
        pytest.param({"features": {"nope": True}}, "features.nope", "unknown", id="unknown-key"),
        pytest.param({"nope": {"x": True}}, "nope", "unknown", id="unknown-section"),
        pytest.param({"chat": {"delete": "yes"}}, "chat.delete", "true or false", id="string"),
        pytest.param({"chat": {"delete": 1}}, "chat.delete", "true or false", id="integer"),
        pytest.param({"chat": {"delete": None}}, "chat.delete", "true or false", id="null"),
        pytest.param({"chat": {"delete": {}}}, "chat.delete", "true or false", id="object-leaf"),
        pytest.param({"chat": True}, "chat", "object", id="section-is-bool"),
        pytest.param({"chat": ["delete"]}, "chat", "object", id="section-is-list"),
        pytest.param(
            {"chat": {"delete": True}, "workspace": {"models": True, "bad": False}},
            "workspace.bad",
            "unknown",
            id="after-a-good-section",
        ),
    ],
)
def test_validate_tree_names_the_offending_path(tree: Any, path: str, reason: str) -> None:
    with pytest.raises(PermissionTreeError) as caught:
        BUILTIN_CATALOG.validate_tree(tree)

    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}:")


@pytest.mark.parametrize("tree", [[], "chat.delete", None, 3])
def test_validate_tree_refuses_a_non_object(tree: Any) -> None:
    with pytest.raises(PermissionTreeError) as caught:
        BUILTIN_CATALOG.validate_tree(tree)

    assert caught.value.path == ""


@pytest.mark.parametrize(
    "tree",
    [
        {},
        {"chat": {}},
        {"chat": {"delete": False}},
        {"workspace": {"models": True}, "features": {"api_keys": True, "notes": False}},
    ],
)
def test_validate_tree_accepts_sparse_trees_and_returns_a_copy(tree: dict[str, Any]) -> None:
    checked = BUILTIN_CATALOG.validate_tree(tree)

    assert checked == tree
    checked["injected"] = True
    assert "injected" not in tree


# --- loading catalog files -----------------------------------------------------------------

CUSTOM_TREE = {"reports": {"view": True, "export": False}, "billing": {"manage": False}}
CUSTOM_JSON = '{"reports": {"view": true, "export": false}, "billing": {"manage": false}}'
CUSTOM_YAML = """\
reports:
  view: true
  export: false
billing:
  manage: false
"""


@pytest.mark.parametrize(
    ("name", "content"),
    [("catalog.json", CUSTOM_JSON), ("catalog.yaml", CUSTOM_YAML), ("catalog.YML", CUSTOM_YAML)],
)
def test_load_catalog_reads_json_and_yaml(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    catalog = load_catalog(path)

    assert dict(catalog.defaults) == {
        "reports.view": True,
        "reports.export": False,
        "billing.manage": False,
    }
    assert catalog.default_tree() == CUSTOM_TREE
    assert catalog.version == Catalog.from_tree(CUSTOM_TREE).version


def test_load_catalog_accepts_nested_sections(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text("crm:\n  contacts:\n    read: true\n    write: false\n  export: false\n")

    catalog = load_catalog(path)

    assert dict(catalog.defaults) == {
        "crm.contacts.read": True,
        "crm.contacts.write": False,
        "crm.export": False,
    }
    assert catalog.validate_tree({"crm": {"contacts": {"write": True}}})
    with pytest.raises(PermissionTreeError) as caught:
        catalog.validate_tree({"crm": {"contacts": True}})
    assert caught.value.path == "crm.contacts"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        pytest.param("bad.json", '{"reports": {"view": tru', "not valid JSON", id="bad-json"),
        pytest.param("bad.yaml", "reports: [view: true\n", "not valid YAML", id="bad-yaml"),
        pytest.param("leaf.json", '{"reports": true}', "'reports' must be a section", id="leaf"),
        pytest.param(
            "leaf.yaml",
            "reports:\n  view: maybe\n",
            "'reports.view' must be true or false",
            id="non-bool-leaf",
        ),
        pytest.param(
            "number.json", '{"reports": {"view": 1}}', "'reports.view' must be", id="number-leaf"
        ),
        pytest.param("empty.json", '{"reports": {}}', "section 'reports' is empty", id="empty"),
        pytest.param("nothing.json", "{}", "non-empty object", id="no-sections"),
        pytest.param("list.json", '[{"reports": {"view": true}}]', "non-empty object", id="list"),
        pytest.param("blank.yaml", "", "non-empty object", id="blank-yaml"),
        pytest.param("dotted.json", '{"a.b": {"c": true}}', "without dots", id="dotted-key"),
        pytest.param("catalog.toml", "[reports]\nview = true\n", ".json, .yaml", id="extension"),
    ],
)
def test_malformed_catalog_file_names_file_and_problem(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_missing_catalog_file_names_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    assert str(path) in str(caught.value)
    assert "cannot be read" in str(caught.value)


# --- versions ------------------------------------------------------------------------------


def test_version_is_stable_for_equal_content() -> None:
    first = Catalog.from_tree(CUSTOM_TREE)
    again = Catalog.from_tree(
        {"reports": {"view": True, "export": False}, "billing": {"manage": False}}
    )
    reordered = Catalog.from_tree(
        {"billing": {"manage": False}, "reports": {"export": False, "view": True}}
    )

    assert first.version
    assert first.version == again.version == reordered.version
    assert BUILTIN_CATALOG.version == Catalog.from_tree(BUILTIN_CATALOG.default_tree()).version


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            {"reports": {"view": False, "export": False}, "billing": {"manage": False}},
            id="default",
        ),
        pytest.param({"reports": {"view": True, "export": False}}, id="fewer-keys"),
        pytest.param(
            {"reports": {"view": True, "export": False}, "billing": {"manage": False, "pay": True}},
            id="more-keys",
        ),
        pytest.param(
            {"reports": {"view": True, "export": False}, "bills": {"manage": False}}, id="renamed"
        ),
    ],
)
def test_version_differs_for_different_content(other: dict[str, Any]) -> None:
    assert Catalog.from_tree(other).version != Catalog.from_tree(CUSTOM_TREE).version


# --- descriptions --------------------------------------------------------------------------


def test_every_builtin_key_has_a_description() -> None:
    undescribed = [key for key in BUILTIN_CATALOG.defaults if not BUILTIN_CATALOG.description(key)]

    assert undescribed == []
    assert set(BUILTIN_CATALOG.descriptions) == set(BUILTIN_CATALOG.defaults)
    assert BUILTIN_CATALOG.description("features.api_keys") == "Create personal API keys."


DESCRIBED_YAML = """\
reports:
  view:
    default: true
    description: "  See the reports dashboard.  "
  export: false
  nested:
    audit:
      default: false
      description: Read the audit of reports.
"""


def test_a_catalog_file_may_describe_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "described.yaml"
    path.write_text(DESCRIBED_YAML, encoding="utf-8")

    catalog = load_catalog(path)

    assert dict(catalog.defaults) == {
        "reports.view": True,
        "reports.export": False,
        "reports.nested.audit": False,
    }
    assert catalog.description("reports.view") == "See the reports dashboard."
    assert catalog.description("reports.nested.audit") == "Read the audit of reports."
    assert catalog.description("reports.export") == ""
    assert catalog.validate_tree({"reports": {"view": True, "nested": {"audit": True}}})


def test_descriptions_do_not_change_the_version() -> None:
    plain = Catalog.from_tree({"reports": {"view": True}})
    described = Catalog.from_tree({"reports": {"view": {"default": True, "description": "See."}}})

    assert described.version == plain.version
    assert dict(described.defaults) == dict(plain.defaults)


def test_a_section_may_hold_keys_named_default_and_description() -> None:
    catalog = Catalog.from_tree({"doc": {"default": True, "description": False}})

    assert dict(catalog.defaults) == {"doc.default": True, "doc.description": False}
    assert catalog.descriptions == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(
            '{"reports": {"view": {"description": "See."}}}',
            "'reports.view.default' must be true or false",
            id="no-default",
        ),
        pytest.param(
            '{"reports": {"view": {"default": "yes", "description": "See."}}}',
            "'reports.view.default' must be true or false",
            id="text-default",
        ),
        pytest.param(
            '{"reports": {"view": {"default": true, "description": "See.", "label": "V"}}}',
            "may hold only 'default' and 'description', not 'label'",
            id="extra-field",
        ),
        pytest.param(
            '{"reports": {"default": true, "description": "A top-level key"}}',
            "'reports' must be a section",
            id="top-level-described-leaf",
        ),
    ],
)
def test_malformed_descriptions_name_file_and_problem(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(path)

    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_descriptions_given_apart_must_name_keys() -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog.from_tree({"reports": {"view": True}}, descriptions={"reports.edit": "Edit."})

    assert "'reports.edit'" in str(caught.value)
