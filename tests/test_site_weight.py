"""Built pages stay light: no page with its assets weighs more than 1.5 MB uncompressed."""

from __future__ import annotations

from benchmarks.site_weight import page_weight, page_weights

MAX_PAGE_BYTES = 1_500_000


def test_every_page_with_its_assets_is_under_1_5_mb(built_site):
    weights = page_weights(built_site)
    report = "\n".join(
        f"{w.total_bytes / 1024:8.0f} KiB  {w.page} ({len(w.assets)} assets)" for w in weights
    )
    print(report)

    assert len(weights) == len(list(built_site.rglob("*.html")))
    heaviest = weights[0]
    # The weight counts Material's stylesheet, script bundle and search index, not just HTML.
    assert any(a.endswith(".css") for a in heaviest.assets), heaviest.assets
    assert any(a.endswith(".js") for a in heaviest.assets), heaviest.assets
    assert "search/search_index.json" in heaviest.assets
    assert heaviest.total_bytes < MAX_PAGE_BYTES, f"Heaviest page is too heavy:\n{report}"


def test_page_weight_follows_stylesheets_to_fonts_and_counts_each_file_once(tmp_path):
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "text.woff2").write_bytes(b"f" * 1000)
    (tmp_path / "style.css").write_text("body{font:url('fonts/text.woff2')}")
    (tmp_path / "app.js").write_bytes(b"j" * 500)
    (tmp_path / "guide").mkdir()
    page = tmp_path / "guide" / "index.html"
    page.write_text(
        '<link rel="stylesheet" href="../style.css"><link rel="canonical" href="../">'
        '<script src="../app.js"></script><script src="../app.js"></script>'
        '<img src="https://example.com/remote.png"><img src="data:image/png;base64,AA==">'
    )

    weight = page_weight(tmp_path, page)

    assert weight.assets == ("app.js", "fonts/text.woff2", "style.css")
    css_bytes = (tmp_path / "style.css").stat().st_size
    assert weight.asset_bytes == 1000 + 500 + css_bytes
    assert weight.total_bytes == page.stat().st_size + weight.asset_bytes
