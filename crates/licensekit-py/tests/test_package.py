"""The installed package ships its type information, and the stubs match the module."""

import ast
import importlib.resources

import licensekit


def test_py_typed_and_stubs_are_installed():
    files = importlib.resources.files("licensekit")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_native.pyi").is_file()


def test_stubs_name_everything_the_package_exports():
    stub = importlib.resources.files("licensekit").joinpath("_native.pyi").read_text()
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
    missing = set(licensekit.__all__) - declared
    assert not missing, f"not in _native.pyi: {missing}"
    for name in licensekit.__all__:
        assert hasattr(licensekit, name)


def test_exceptions_form_one_hierarchy():
    for name in licensekit.__all__:
        value = getattr(licensekit, name)
        if isinstance(value, type) and name.endswith("Error"):
            assert issubclass(value, licensekit.LicenseError)
            assert value.__module__ == "licensekit"
