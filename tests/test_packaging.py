"""The package's metadata: one version, valid classifiers, a README that works off-site."""

import re
import tomllib
from pathlib import Path

import trove_classifiers

import api_clients

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PACKAGE_README = (ROOT / PROJECT["readme"]).read_text()
REPOSITORY = PROJECT["urls"]["Repository"]


def test_the_name_is_free_of_the_other_api_clients():
    assert PROJECT["name"] == "wagtail-api-clients"


def test_the_version_is_written_once_in_the_package():
    assert "version" not in PROJECT
    assert PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "api_clients.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", api_clients.__version__)
    assert api_clients.__version__.split(".dev")[0] in (ROOT / "CHANGELOG.md").read_text()


def test_every_classifier_is_one_the_index_knows():
    unknown = [c for c in PROJECT["classifiers"] if c not in trove_classifiers.classifiers]
    assert unknown == []


def test_the_classifiers_say_what_the_pins_allow():
    classifiers = set(PROJECT["classifiers"])
    assert {"Framework :: Wagtail :: 7", "Framework :: Wagtail :: 8"} <= classifiers
    assert {"Framework :: Django :: 5.2", "Framework :: Django :: 6.0"} <= classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Django>=5.2,<6.1" in PROJECT["dependencies"]
    assert "wagtail>=7.0,<9" in PROJECT["dependencies"]
    assert PROJECT["requires-python"] == ">=3.11"


def test_the_licence_is_mit():
    assert PROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_package_readme_links_only_absolutely_and_into_the_repository():
    links = re.findall(r"\]\(([^)]+)\)|<(https?://[^>]+)>", PACKAGE_README)
    targets = [inline or bare for inline, bare in links]
    assert targets, "no links found"
    for target in targets:
        assert target.startswith("https://"), target
    repository_path = REPOSITORY.removeprefix("https://github.com/")
    for target in targets:
        if "github" in target:
            assert repository_path in target, target
    # Pictures point at files that exist in the repository.
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", PACKAGE_README):
        relative = picture.split("/main/", 1)[1]
        assert (ROOT / relative).is_file(), picture


def test_the_readme_speaks_of_the_django_6_decision_and_the_install_command():
    for readme in (PACKAGE_README, (ROOT / "README.md").read_text()):
        assert "pip install wagtail-api-clients" in readme
        assert "Django 6.0" in readme
        assert "urls_namespace" in readme
        assert "SECRET_KEY_FALLBACKS" in readme
