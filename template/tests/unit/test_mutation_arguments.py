"""Which tests a mutmut run names, as `make mutate`'s collection reads them (tests/mutation.py)."""

from pathlib import Path

from tests.mutation import named_tests


def test_named_tests_keep_module_level_names_and_leave_whole_modules_out(tmp_path: Path) -> None:
    named = named_tests(
        [
            "tests/api/test_a.py::test_one[case-1]",
            "tests/api/test_a.py::TestGroup::test_two",
            "tests/api/test_b.py::test_three",
            "tests/api/test_b.py",  # whole, by its own path
            "tests/unit",
            "tests/unit/test_c.py::test_four",  # whole, by its folder's
        ],
        tmp_path / "project" / ".." / "project",
    )
    assert named == {tmp_path / "project/tests/api/test_a.py": frozenset({"test_one", "TestGroup"})}
