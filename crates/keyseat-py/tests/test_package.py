"""The installed package ships its type information, and the stubs match the module."""

import ast
import importlib.resources

import pytest

import keyseat


def test_py_typed_and_stubs_are_installed():
    files = importlib.resources.files("keyseat")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_native.pyi").is_file()


def test_stubs_name_everything_the_package_exports():
    stub = importlib.resources.files("keyseat").joinpath("_native.pyi").read_text()
    declared = {
        node.name if isinstance(node, ast.ClassDef) else node.targets[0].id
        for node in ast.parse(stub).body
        if isinstance(node, ast.ClassDef)
        or (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name))
    } | {
        node.target.id
        for node in ast.parse(stub).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    missing = set(keyseat.__all__) - declared
    assert not missing, f"not in _native.pyi: {missing}"
    for name in keyseat.__all__:
        assert hasattr(keyseat, name)


def test_exceptions_form_one_hierarchy():
    for name in keyseat.__all__:
        value = getattr(keyseat, name)
        if isinstance(value, type) and name.endswith("Error"):
            assert issubclass(value, keyseat.LicenseError)
            assert value.__module__ == "keyseat"


APP = '''
import datetime
import keyseat

licensor = keyseat.Licensor(qualifier="com", organisation="Example", application="App",
                               product_ids=["pdt_1"], vendor_secret=b"s",
                               grace_period=datetime.timedelta(days=3), revalidate_interval=60)
status = licensor.check_offline()
deadline: datetime.datetime | None = status.grace_deadline
licensed: bool = status.licensed
with licensor.watch(60, lambda s: None) as handle:
    running: bool = handle.running
try:
    outcome: str = licensor.deactivate(force=True)
except keyseat.NotActivatedError as e:
    code: str = e.code
'''


def test_an_app_type_checks_strictly_against_the_installed_package(tmp_path):
    mypy = pytest.importorskip("mypy.api", reason="pip install mypy (CI does)")
    app = tmp_path / "app.py"
    app.write_text(APP)
    out, err, status = mypy.run(["--strict", "--no-incremental", str(app)])
    assert status == 0, out + err
    bad = tmp_path / "bad.py"
    bad.write_text(APP + "\nwrong: int = status.state\n")
    out, _, status = mypy.run(["--strict", "--no-incremental", str(bad)])
    assert status == 1 and "Incompatible types" in out, out
