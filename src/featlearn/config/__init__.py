"""Run configuration: pydantic schema, YAML io, overrides and digest (DESIGN §4.4)."""

from featlearn.config.io import (
    ConfigError,
    apply_overrides,
    config_to_dict,
    digest,
    dump_yaml,
    load_config,
    read_yaml,
    run_dir_name,
    validate,
)
from featlearn.config.schema import RunConfig

__all__ = ["ConfigError", "RunConfig", "apply_overrides", "config_to_dict", "digest", "dump_yaml", "load_config", "read_yaml", "run_dir_name", "validate"]
