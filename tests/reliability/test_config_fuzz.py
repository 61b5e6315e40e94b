"""Property-based fuzzing of the config loader and of `--set` parsing: any input gives a `RunConfig` or a
one-line `ConfigError`, never another exception."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featlearn.config import ConfigError, RunConfig, apply_overrides, load_config, validate
from featlearn.config.overrides import parse_override

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

DEFAULT = RunConfig().model_dump(mode="json")
KEYS = sorted({"name", "seed", "teacher", "student", "data", "init", "stages", "metrics", "log_every", "checkpoint_every", "dtype",
               "d", "m_star", "activation", "a_star", "directions", "min_angle_deg", "noise_std", "m", "head", "mode", "n_train",
               "n_test", "kind", "scale", "angle_deg", "far", "eta", "lam", "balance", "lr", "epochs", "steps", "steps_per_epoch",
               "lam0", "factor", "optimizer", "batch_size", "target_loss", "delta_deg", "mass_tol", "0", "1", "2", "-1"})
KINDS = ["one_step", "fit_second_layer", "anneal_weight_decay", "gd", "lazy", "symmetric", "random", "near_teacher", "relu", "erf",
         "orthonormal", "ones", "population", "empirical", "float32", "adam"]

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12) | st.sampled_from(KINDS) | st.binary(max_size=8) | st.dates())
keys = st.sampled_from(KEYS) | st.text(max_size=8) | st.integers(-3, 3) | st.booleans() | st.none()
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(keys, c, max_size=4), max_leaves=20)


def _ok_or_config_error(fn, *args):
    try:
        result = fn(*args)
    except ConfigError as exc:
        msg = str(exc)
        assert msg and all(line.strip() for line in msg.split("\n")) and "Traceback" not in msg, msg  # one line per problem
        return None
    return result


def _paths(tree, prefix=()):
    """Every key path of a plain config tree."""
    yield prefix
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(DEFAULT) if p]


@FUZZ
@given(st.dictionaries(keys, values, max_size=6))
def test_validate_random_mappings(data):
    cfg = _ok_or_config_error(validate, data)
    assert cfg is None or isinstance(cfg, RunConfig)


@FUZZ
@given(st.sampled_from(PATHS), values, st.data())
def test_validate_mutated_default(path, value, data):
    """The default config with one value anywhere in it replaced (or one key added) by something random."""
    import copy

    tree = copy.deepcopy(DEFAULT)
    node = tree
    for part in path[:-1]:
        node = node[part]
    if data.draw(st.booleans()) and isinstance(node, dict):
        node[data.draw(keys)] = value
    else:
        node[path[-1]] = value
    cfg = _ok_or_config_error(validate, tree)
    assert cfg is None or isinstance(cfg, RunConfig)


@FUZZ
@given(st.lists(st.text(max_size=40), max_size=4))
def test_set_random_text(items):
    cfg = _ok_or_config_error(load_config, None, items)
    assert cfg is None or isinstance(cfg, RunConfig)


path_text = st.lists(st.sampled_from(KEYS) | st.text(alphabet="ab.0123-² \n", max_size=4), min_size=1, max_size=4).map(".".join)
value_text = (st.sampled_from(["1", "-1", "0", "1e3", ".inf", ".nan", "[1,-1]", "[]", "{}", "{kind: gd}", "ten", "true", "null", "~",
                               "!!python/object/apply:os.system ['true']", "[[[", "&a [*a]", "!!set {1}", "2020-01-01", "\x00", "'x'"])
              | st.text(max_size=12))


@FUZZ
@given(st.lists(st.tuples(path_text, value_text).map("=".join), min_size=1, max_size=4))
def test_set_structured_overrides(items):
    cfg = _ok_or_config_error(load_config, None, items)
    assert cfg is None or isinstance(cfg, RunConfig)


@FUZZ
@given(st.text(max_size=60))
def test_parse_override_never_crashes(item):
    parsed = _ok_or_config_error(parse_override, item)
    if parsed is not None:
        parts, _ = parsed
        assert all(parts)


@FUZZ
@given(st.dictionaries(keys, values, max_size=4), st.lists(st.tuples(path_text, value_text).map("=".join), max_size=3))
def test_apply_overrides_on_random_base(base, items):
    data = _ok_or_config_error(apply_overrides, base, items)
    if data is not None:
        assert isinstance(data, dict)
        _ok_or_config_error(validate, data)


yaml_text = (st.text(max_size=200)
             | values.map(lambda v: yaml.safe_dump(v, allow_unicode=True) if not _has_dates_or_bytes(v) else "x: 1")
             | st.lists(st.sampled_from(["teacher:", "  d: 5", "  d: ten", "stages: []", "- 1", "name: ../x", "seed: -1", "  ", "\t",
                                         "!!python/object:os.system", "a: &a [*a]", "[[[", "\"\\0\"", "{", "? [1]", "...", "---",
                                         "student: {m: 7}", "dtype: float16", "teacher: {a_star: !!set {1}}"]), max_size=8).map("\n".join))


def _has_dates_or_bytes(v):
    import datetime

    if isinstance(v, (bytes, datetime.date)):
        return True
    if isinstance(v, dict):
        return any(_has_dates_or_bytes(x) or _has_dates_or_bytes(k) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_dates_or_bytes(x) for x in v)
    return False


@FUZZ
@given(yaml_text)
def test_load_config_random_yaml_text(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    cfg = _ok_or_config_error(load_config, path)
    assert cfg is None or isinstance(cfg, RunConfig)


@FUZZ
@given(st.binary(max_size=200))
def test_load_config_random_bytes(tmp_path, blob):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(blob)
    cfg = _ok_or_config_error(load_config, path)
    assert cfg is None or isinstance(cfg, RunConfig)


def test_deeply_nested_yaml_is_a_config_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("teacher: " + "[" * 5000 + "]" * 5000 + "\n")
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a 5000-deep list is not a config")
