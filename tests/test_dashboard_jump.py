"""Jump to source from the dashboard: the source view links the figure's span for the extension."""

import html
import re
from urllib.parse import parse_qs, urlparse

from auditor.dashboard._source import render_source


def _link(page):
    (href,) = re.findall(r'class="fa-open-source" href="([^"]+)"', page)
    return urlparse(html.unescape(href))


def test_source_view_links_the_exact_span(dashboard_result):
    figure = dashboard_result.figures.iloc[0].to_dict()
    article = dashboard_result.articles.set_index("article_id").loc[figure["article_id"]].to_dict()
    article["path"] = "/corpus/wire-a.txt"
    page = render_source(figure, article, dashboard_result.texts[figure["article_id"]])
    link = _link(page)
    query = parse_qs(link.query)
    assert (link.scheme, link.path) == ("figure-audit", "open")
    assert query["path"] == ["/corpus/wire-a.txt"]
    assert (int(query["start"][0]), int(query["end"][0])) == (figure["start"], figure["end"])
    assert query["surface"] == [figure["surface"]]


def test_hostile_path_cannot_break_out_of_the_link(dashboard_result):
    figure = dashboard_result.figures.iloc[0].to_dict()
    page = render_source(figure, {"path": '/x/"><script>alert(1)</script>.txt'}, None)
    assert "<script>" not in page
    assert parse_qs(_link(page).query)["path"] == ['/x/"><script>alert(1)</script>.txt']
