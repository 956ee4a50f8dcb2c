"""Importing WeasyPrint through deck (render/pdf.import_weasyprint): the C libraries it opens are
found in one listing of ld.so's cache instead of a run of ldconfig, gcc and ld per name tried, and
they are the same libraries."""
from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

from deck.render import pdf
from tests.helpers_for_tests import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or pdf._ld_cache() is None,
                                reason="ld.so's cache is glibc Linux's")

# names WeasyPrint's text/ffi.py tries (found, not found, spelled for other systems) and the C library
NAMES = ["gobject-2.0", "libgobject-2.0-0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "harfbuzz-vector",
         "libharfbuzz-vector.so.0", "libfontconfig-1", "fontconfig", "pangoft2-1.0", "c", "m",
         "no-such-library-anywhere"]


@pytest.mark.parametrize("name", NAMES)
def test_each_name_is_found_as_ctypes_finds_it(name):
    listing = pdf._ld_cache()
    assert listing is not None
    assert pdf._cached_find_library(listing, ctypes.util.find_library, name) == ctypes.util.find_library(name)


def test_a_name_in_the_cache_needs_no_search():
    """The names found run nothing; a name the cache lacks runs the real search only if a file of
    that name lies in a folder the cache lists."""
    asked: list[str] = []

    def real(name):
        asked.append(name)
        return ctypes.util.find_library(name)

    listing = pdf._ld_cache()
    assert listing is not None
    for name in NAMES:
        pdf._cached_find_library(listing, real, name)
    assert asked == []


def _loaded(code: str) -> dict:
    """The shared libraries a fresh interpreter has open after `code`, and the subprocesses it ran."""
    probe = code + """
import json, subprocess
print(json.dumps({"libs": sorted({l.split()[-1] for l in open('/proc/self/maps') if '.so' in l
                                  and 'python3' not in l}),
                  "restored": __import__('ctypes.util').util.find_library.__name__}))
"""
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_weasyprint_opens_the_same_libraries():
    plain = _loaded("import weasyprint")
    through_deck = _loaded("from deck.render.pdf import import_weasyprint; import_weasyprint()")
    assert through_deck["libs"] == plain["libs"]
    assert any("libpango" in lib for lib in plain["libs"])
    assert through_deck["restored"] == "find_library"  # ctypes is left as it was
