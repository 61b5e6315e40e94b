"""Run configuration (DESIGN §4.4): pydantic schema, the stage registry, YAML io, overrides, digest.

One concept per module: `errors` (ConfigError, one line per problem), `yaml_io` (safe reading),
`overrides` (`--set`), `digest`, `stages` (the stage registry), `schema` (RunConfig), `load` (validate).
"""

from featlearn.config.digest import config_to_dict, digest, run_dir_name
from featlearn.config.errors import ConfigError
from featlearn.config.load import config_yaml, load_config, validate
from featlearn.config.overrides import apply_overrides
from featlearn.config.schema import RunConfig
from featlearn.config.stages import STAGES, StageSpec, final_weight_decay, register_stage, unregister_stage
from featlearn.config.yaml_io import dump_yaml, read_yaml

__all__ = [
    "ConfigError", "RunConfig", "STAGES", "StageSpec", "apply_overrides", "config_to_dict", "config_yaml", "digest", "dump_yaml",
    "final_weight_decay", "load_config", "read_yaml", "register_stage", "run_dir_name", "unregister_stage", "validate",
]
