"""The CJK font comes from a Debian package (fonts-wqy-zenhei) found by path search."""

import pytest

from edge.devices import fonts
from edge.devices.errors import FontMissing


def test_a_cjk_font_is_installed_and_covers_names_beyond_gbk():
    paths = fonts.cjk_font_paths()
    assert paths, "install fonts-wqy-zenhei"
    chain = fonts.fonts_at(24)
    assert chain.has_glyph("张")
    assert chain.has_glyph("䶮")
    assert not chain.has_glyph("\U000f0001")  # private use: no font has it


def test_a_wrong_font_override_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(fonts.FONT_ENV, str(tmp_path / "missing.ttf"))
    fonts.cjk_font_paths.cache_clear()
    try:
        with pytest.raises(FontMissing, match="BIANMIN_CJK_FONT"):
            fonts.cjk_font_paths()
    finally:
        monkeypatch.delenv(fonts.FONT_ENV)
        fonts.cjk_font_paths.cache_clear()


def test_no_font_at_all_names_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "SEARCH_DIRS", (str(tmp_path),))
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    fonts.cjk_font_paths.cache_clear()
    try:
        with pytest.raises(FontMissing, match="apt-get install -y fonts-wqy-zenhei"):
            fonts.cjk_font_paths()
    finally:
        fonts.cjk_font_paths.cache_clear()
