"""What ``report.html`` shows before pytest-html's per-test rows: one verdict banner (the run's
verdict, the count per verdict, the overlays and waivers in force, the facts of the run), then the
conformance matrix grouped by section of the contract, coloured per verdict, with a filter by
verdict and each failure's curl repro with a copy button.

It is rendered from the same document as ``conformance.json`` (:meth:`conformance.verdicts.model.Verdicts.document`)
and handed to pytest-html's ``pytest_html_results_summary`` hook; a small stylesheet and script ride
along inline, so the report stays one self-contained file. The script moves the banner and the matrix
above pytest-html's own blocks and the toolchain table (pytest-metadata's Environment) below the
per-test rows.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

from conformance.runtime.redaction import redact
from conformance.verdicts.model import CANNOT_JUDGE, CONFORMANT, VERDICTS

COLOURS = {"passed": "#1b7f3b", "FAILED": "#c0392b", "warning": "#b9770e", "waived": "#2471a3",
           "blocked": "#8e44ad", "not run": "#7f8c8d"}
#: facts the banner shows as what is in force, not in its table of facts
IN_FORCE = ("Overlays", "Waivers")
BANNER_COLOURS = {CONFORMANT: "#1b7f3b", CANNOT_JUDGE: "#7f8c8d"}  # NOT CONFORMANT: red

STYLE = """
#iris-banner{border:3px solid var(--c);border-radius:6px;padding:10px 16px;margin:10px 0 16px;max-width:1200px}
#iris-verdict{font-size:30px;font-weight:bold;color:var(--c);margin:0 0 6px}
#iris-verdict .why{font-size:15px;color:#333;font-weight:normal;margin-left:8px}
.iris-counts{margin:6px 0}
.iris-chip{display:inline-block;border-radius:12px;padding:2px 10px;margin:2px 4px 2px 0;color:#fff;font-weight:bold}
.iris-chip.zero{opacity:.35}
.iris-inforce{margin:6px 0}
.iris-inforce ul{margin:2px 0 2px 18px;padding:0}
#iris-facts{border-collapse:collapse;margin-top:6px;font-size:12px}
#iris-facts td{padding:2px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
#iris-facts td:first-child{font-weight:bold;white-space:nowrap}
#iris-matrix{max-width:1400px}
#iris-matrix table{border-collapse:collapse;width:100%;font-size:12px}
#iris-matrix th,#iris-matrix td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
#iris-matrix tr.iris-section th{background:#f0f0f0;font-size:13px}
#iris-matrix tr.iris-row td:first-child{border-left:6px solid var(--c)}
#iris-matrix td.iris-v{color:var(--c);font-weight:bold;white-space:nowrap}
#iris-matrix td.iris-id{white-space:nowrap;font-weight:bold}
#iris-matrix tr.iris-row[data-verdict="not run"]{color:#777}
#iris-matrix .hidden{display:none}
#iris-matrix .iris-why{margin-top:3px}
#iris-filter label{margin-right:12px;cursor:pointer}
.iris-repro{display:flex;gap:6px;align-items:flex-start;margin-top:4px}
.iris-repro code{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:2px 4px;flex:1}
.iris-copy{cursor:pointer;font-size:11px;padding:1px 6px}
#environment-header,#environment{margin-top:24px}
"""

SCRIPT = """
(function () {
  function place() {
    var title = document.getElementById('title');
    var banner = document.getElementById('iris-banner');
    var matrix = document.getElementById('iris-matrix');
    if (title && banner) { title.after(banner); }
    if (banner && matrix) { banner.after(matrix); }
    var heading = document.querySelector('.summary__data h2');
    if (heading) { heading.textContent = 'Tests'; }
    var results = document.getElementById('results-table');
    var envHeader = document.getElementById('environment-header');
    var env = document.getElementById('environment');
    if (results && envHeader && env) {
      var holder = document.createElement('div');
      holder.id = 'iris-toolchain';
      results.parentNode.appendChild(holder);
      holder.appendChild(envHeader); holder.appendChild(env);
      envHeader.querySelector('h2').textContent = 'Toolchain';
    }
  }
  function filter() {
    var shown = {};
    document.querySelectorAll('#iris-filter input').forEach(function (box) { shown[box.value] = box.checked; });
    var visible = 0;
    document.querySelectorAll('#iris-matrix tbody').forEach(function (section) {
      var any = false;
      section.querySelectorAll('tr.iris-row').forEach(function (row) {
        var on = shown[row.dataset.verdict] !== false;
        row.classList.toggle('hidden', !on);
        if (on) { any = true; visible++; }
      });
      section.querySelector('tr.iris-section').classList.toggle('hidden', !any);
    });
    document.getElementById('iris-shown').textContent = visible;
  }
  function copy(button) {
    var text = button.parentNode.querySelector('code').textContent;
    function done() { button.textContent = 'copied'; button.dataset.copied = text.length; setTimeout(function () { button.textContent = 'copy'; }, 1500); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } catch (e) {}
    document.body.removeChild(area);
  }
  function start() {
    place();
    document.querySelectorAll('#iris-filter input').forEach(function (box) { box.addEventListener('change', filter); });
    document.querySelectorAll('.iris-copy').forEach(function (b) { b.addEventListener('click', function () { copy(b); }); });
    filter();
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def banner(document: dict[str, Any], facts: Iterable[tuple[str, str]]) -> str:
    """The verdict banner: the run's verdict, its counts, what is in force, the facts of the run."""
    meta = document.get("meta", {})
    verdict = meta.get("verdict", CANNOT_JUDGE)
    colour = BANNER_COLOURS.get(verdict, "#c0392b")
    why = ""
    if verdict == CANNOT_JUDGE:
        why = meta.get("cannot_judge") or f"exit status {meta.get('exit_status')}"
    counts = document.get("counts", {})
    chips = "".join(
        f'<span class="iris-chip{" zero" if not counts.get(v) else ""}" data-verdict="{_e(v)}" '
        f'style="background:{COLOURS[v]}">{counts.get(v, 0)} {_e(v)}</span>' for v in VERDICTS)
    overlays = meta.get("overlays") or []
    overlay_items = "".join(f"<li>{_e(o.get('path'))} (sha256:{_e(str(o.get('sha256'))[:16])}): "
                            f"{_e('; '.join(o.get('actions') or []))}</li>" for o in overlays)
    uses = document.get("waivers") or []
    waiver_items = "".join(
        f"<li><b>{_e(u['requirement'])}</b> on {_e(', '.join(u['operations']) or 'every operation')}: "
        f"<b>{_e(u['status'])}</b> ({_e(u['why'])}). {_e(u['reason'])}; owner {_e(u['owner'])}, "
        f"expires {_e(u['expires'])}</li>" for u in uses)
    layers = document.get("answered_by_layers") or []
    layer_items = "".join(f"<li><b>{_e(g['answered_by'])}</b> answered, not the API: "
                          f"{_e(', '.join(g['requirements']))} ({_e(g['evidence'])}); {_e(g['advice'])}</li>"
                          for g in layers)
    layer_block = (f'<div class="iris-inforce" id="iris-layers"><b>Not answered by the API:</b>'
                   f"<ul>{layer_items}</ul></div>") if layers else ""
    # overlays and waivers are shown above as what is in force: not again among the facts
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in facts if k not in IN_FORCE)
    return redact(
        f'<div id="iris-banner" style="--c:{colour}">'
        f'<p id="iris-verdict">{_e(verdict)}{f"<span class=why>{_e(why)}</span>" if why else ""}</p>'
        f'<div class="iris-counts" id="iris-counts">{chips}</div>'
        f'<div class="iris-inforce" id="iris-overlays"><b>Overlays in force:</b> '
        f'{_assumes(overlays)}{f"<ul>{overlay_items}</ul>" if overlays else ""}</div>'
        f'<div class="iris-inforce" id="iris-waivers"><b>Waivers:</b> '
        f'{f"<ul>{waiver_items}</ul>" if uses else "none"}</div>{layer_block}'
        f'<table id="iris-facts">{rows}</table></div>')


def matrix(document: dict[str, Any]) -> str:
    """The conformance matrix: a section of rows per section of the contract, a filter by verdict."""
    rows = document.get("requirements", [])
    counts = document.get("counts", {})
    boxes = "".join(f'<label><input type="checkbox" value="{_e(v)}" checked> '
                    f'<span style="color:{COLOURS[v]};font-weight:bold">{_e(v)}</span> ({counts.get(v, 0)})</label>'
                    for v in VERDICTS)
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        sections.setdefault(row.get("section") or "other", []).append(row)
    out = ['<div id="iris-matrix"><h2>Conformance matrix</h2>',
           f'<p id="iris-filter">Show: {boxes} <span>(<span id="iris-shown">{len(rows)}</span> of {len(rows)} '
           f'requirements shown)</span></p>',
           '<table id="conformance-matrix"><thead><tr><th>ID</th><th>Level</th><th>Source</th><th>Verdict</th><th>Requirement</th>'
           "<th>Tests</th><th>Requests</th></tr></thead>"]
    for section, members in sections.items():
        out.append(f'<tbody><tr class="iris-section"><th colspan="7">{_e(section)}</th></tr>')
        for row in members:
            out.append(_row(row))
        out.append("</tbody>")
    out.append("</table></div>")
    return redact("".join(out))


def _row(row: dict[str, Any]) -> str:
    verdict = row["verdict"]
    label = "blocked" if verdict == "blocked" else verdict
    detail = ""
    if row.get("why") and verdict != "passed":
        detail += f'<div class="iris-why"><b>why:</b> {_e(row["why"])}</div>'
    violations = row.get("violations") or []
    for other in violations[1:3]:
        detail += f'<div class="iris-why">also: {_e(other.get("reason", ""))}</div>'
    if len(violations) > 3:
        detail += f"<div><small>(+{len(violations) - 3} more distinct violations in conformance.json)</small></div>"
    if row.get("repro"):
        where = f" (in {_e(row['failing_test'].split('::')[-1])})" if row.get("failing_test") else ""
        detail += (f'<div class="iris-repro"><code>{_e(row["repro"])}</code>'
                   f'<button class="iris-copy" type="button" title="copy the curl command">copy</button></div>'
                   f"<div><small>first failing example{where}</small></div>")
    tests = row.get("tests") or []
    listed = "<br>".join(_e(t.split("::")[-1]) for t in tests[:6])
    if len(tests) > 6:
        listed += f"<br>(+{len(tests) - 6} more)"
    return (f'<tr class="iris-row" data-verdict="{_e(verdict)}" data-id="{_e(row["id"])}" '
            f'style="--c:{COLOURS[verdict]}"><td class="iris-id">{_e(row["id"])}{_overlay_mark(row)}</td><td>{_e(row["level"])}</td>'
            f'<td>{_e(row["source"])}</td><td class="iris-v">{_e(label)}</td>'
            f'<td>{_e(row["text"])}{detail}</td><td>{listed}</td>'
            f'<td class="iris-requests">{_e(str(row.get("requests", "")))}</td></tr>')


def assets() -> str:
    """The stylesheet and script (inline: the report is one self-contained file)."""
    return f"<style>{STYLE}</style><script>{SCRIPT}</script>"


def _overlay_mark(row: dict[str, Any]) -> str:
    """A requirement whose checks read an element an overlay changed is marked in the matrix."""
    if not row.get("assumes_overlay"):
        return ""
    return ' <span class="iris-overlaid" title="judged with an element an overlay changed">[overlay]</span>'


def _assumes(overlays: list[dict[str, Any]]) -> str:
    """What the verdict assumes beyond the published contract, in one sentence."""
    if not overlays:
        return "none (judged against the packaged contract as published)"
    count = sum(len(o.get("actions") or []) for o in overlays)
    return _e(f"this verdict assumes {count} deviations from the published contract:")
