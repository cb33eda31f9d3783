"""Jump to source from the workbench: each report card links the figure's span for the extension."""

from urllib.parse import parse_qs, urlparse

from auditor.dashboard import Dashboard


def _link(report):
    return urlparse(report["link"])


def test_report_card_links_the_exact_span(dashboard_result):
    dashboard = Dashboard(dashboard_result)
    report = dashboard.view.detail["reports"][0]
    figure = dashboard_result.figures.set_index("figure_id").loc[report["id"]]
    link = _link(report)
    query = parse_qs(link.query)
    assert (link.scheme, link.path) == ("figure-audit", "open")
    assert query["path"] == [figure["path"]]
    assert (int(query["start"][0]), int(query["end"][0])) == (figure["start"], figure["end"])
    assert query["surface"] == [figure["surface"]]


def test_hostile_path_cannot_break_out_of_the_link(dashboard_result):
    figures = dashboard_result.figures
    figures.loc[0, "path"] = '/x/"><script>alert(1)</script>.txt'
    dashboard = Dashboard(dashboard_result)
    report = next(r for r in dashboard.view.detail["reports"] if r["id"] == figures.loc[0, "figure_id"])
    assert "<" not in report["link"] and '"' not in report["link"]
    assert parse_qs(_link(report).query)["path"] == ['/x/"><script>alert(1)</script>.txt']
