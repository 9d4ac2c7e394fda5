"""Model resolution order: --model → RTSEG_MODEL → first .onnx in models/ → one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtseg.errors import RtsegError
from rtseg.models import CHECKOUT_MODELS, ENV_VAR, model_dirs, resolve_model


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("b.onnx", "a.onnx", "notes.txt"):
        (folder / name).write_bytes(b"")
    return folder


def test_explicit_model_wins(tmp_path, models):
    chosen = tmp_path / "mine.onnx"
    chosen.write_bytes(b"")
    env = {ENV_VAR: str(models / "b.onnx")}
    assert resolve_model(chosen, env=env, dirs=[models]) == chosen


def test_environment_variable_comes_next(models):
    env = {ENV_VAR: str(models / "b.onnx")}
    assert resolve_model(None, env=env, dirs=[models]) == models / "b.onnx"


def test_first_onnx_by_name_in_the_first_folder_with_one(tmp_path, models):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert resolve_model(None, env={}, dirs=[empty, tmp_path / "missing", models]) == (
        models / "a.onnx"
    )


@pytest.mark.parametrize(
    ("model", "env", "message"),
    [
        ("nope.onnx", {}, "model file not found: nope.onnx"),
        (None, {ENV_VAR: "gone.onnx"}, "RTSEG_MODEL names a missing file: gone.onnx"),
        (None, {}, "no model given: pass --model PATH, set RTSEG_MODEL"),
    ],
)
def test_missing_model_is_one_clear_line(tmp_path, model, env, message):
    with pytest.raises(RtsegError, match=message) as raised:
        resolve_model(model, env=env, dirs=[tmp_path])
    assert "\n" not in str(raised.value)


def test_searches_working_directory_then_checkout(tmp_path):
    assert model_dirs(tmp_path) == [tmp_path / "models", CHECKOUT_MODELS]
    assert model_dirs(CHECKOUT_MODELS.parent) == [CHECKOUT_MODELS]
