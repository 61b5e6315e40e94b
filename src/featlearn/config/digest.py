"""The digest of a resolved config (DESIGN §4.4) and the run folder name derived from it."""

from __future__ import annotations

import hashlib
import json


# Optional fields added after run folders were first named: left out of the resolved config (and so of the
# digest) while unset, so a config that does not use them keeps its digest and its run folder.
OMITTED_WHEN_UNSET = (("student", "activation"),)


def config_to_dict(cfg) -> dict:
    """The resolved config as plain JSON-able data (all defaults filled in, except the unset fields of
    `OMITTED_WHEN_UNSET`)."""
    out = cfg.model_dump(mode="json")
    for section, key in OMITTED_WHEN_UNSET:
        if isinstance(out.get(section), dict) and out[section].get(key, 0) is None:
            del out[section][key]
    return out


def digest(cfg) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the resolved config."""
    canon = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def run_dir_name(cfg) -> str:
    """``<name>-<digest[:10]>`` (the name is validated to a safe character set)."""
    return f"{cfg.name}-{digest(cfg)[:10]}"


__all__ = ["config_to_dict", "digest", "run_dir_name"]
