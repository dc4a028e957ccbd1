"""A job's output files become checked outputs through their metadata; unknown kinds are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from socle.release import OutputError, Population, check_output, load_policy, output_from_file

JOB = Population("job j-1 extract of grant g-1", 500)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_job_count_table_is_checked_like_a_workspace_table(tmp_path: Path) -> None:
    path = _file(tmp_path, "by_sex.csv", "sex,persons\nF,4\nM,40\nU,30\n")
    meta = {"kind": "frequency_table", "dims": ["sex"], "count": "persons"}
    output = output_from_file(path, meta, population=JOB, provenance={"job": "j-1"})
    report = check_output(output, load_policy())
    assert report.rows == (("F", None), ("M", 40), ("U", None), ("All", 75))
    assert output.provenance == {"job": "j-1"}


def test_job_magnitude_table_needs_its_evidence(tmp_path: Path) -> None:
    bare = _file(tmp_path, "cost.csv", "unit,sum\na,1000\n")
    with pytest.raises(OutputError, match="missing column"):
        output_from_file(bare, {"kind": "magnitude_table", "dims": ["unit"]}, population=JOB)
    full = _file(
        tmp_path, "cost2.csv",
        "unit,n,sum,top1,top2,topn,negatives\na,12,1000,950,10,960,0\nb,20,400,30,30,60,0\n",
    )  # fmt: skip
    output = output_from_file(full, {"kind": "magnitude_table", "dims": ["unit"]}, population=JOB)
    report = check_output(output, load_policy())
    assert {r[0]: r[1] for r in report.rows}["a"] is None  # dominated by one contributor


def test_job_regression_is_held_to_its_degrees_of_freedom(tmp_path: Path) -> None:
    path = _file(tmp_path, "model.csv", "term,coef,std_err\nage,0.03,0.01\n")
    output = output_from_file(path, {"kind": "regression", "residual_dof": 4}, population=JOB)
    assert check_output(output, load_policy()).status == "fail"


def test_a_file_of_no_checkable_kind_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "notes.csv", "text\nsomething a job printed\n")
    with pytest.raises(OutputError, match="has no automatic check"):
        output_from_file(path, {"kind": "log"}, population=JOB)
