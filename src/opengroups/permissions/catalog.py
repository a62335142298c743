"""The permission catalog: sections of boolean features and their defaults.

The built-in catalog is Open WebUI 0.12.4's ``USER_PERMISSIONS`` tree, every key and default.
"""

from __future__ import annotations

from typing import Any

PermissionTree = dict[str, Any]


def _all(keys: str, value: bool) -> dict[str, bool]:
    return dict.fromkeys(keys.split(), value)


OPEN_WEBUI_CATALOG: dict[str, dict[str, bool]] = {
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
