"""The digest of a resolved config (DESIGN §4.4) and the run folder name derived from it."""

from __future__ import annotations

import hashlib
import json


def config_to_dict(cfg) -> dict:
    """The resolved config as plain JSON-able data (all defaults filled in)."""
    return cfg.model_dump(mode="json")


def digest(cfg) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the resolved config."""
    canon = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def run_dir_name(cfg) -> str:
    """``<name>-<digest[:10]>`` (the name is validated to a safe character set)."""
    return f"{cfg.name}-{digest(cfg)[:10]}"


__all__ = ["config_to_dict", "digest", "run_dir_name"]
