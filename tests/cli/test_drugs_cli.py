"""`emr-admin drugs search | import-rxnorm` as an operator runs them: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE = Path(__file__).parents[1] / "core" / "data" / "RXNCONSO_sample.RRF"


def test_search_prints_formulary_drugs_as_json_and_as_a_table(initialised):
    result = initialised("drugs", "search", "lipitor", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found[0]["generic_name"] == "atorvastatin"
    assert found[0]["brand_names"] == ["Lipitor"] and found[0]["source"] == "formulary"

    table = initialised("drugs", "search", "amox")
    assert table.returncode == 0, table.stderr
    assert "amoxicillin / clavulanate" in table.stdout and "Augmentin" in table.stdout


def test_import_prints_counts_and_its_products_are_found(initialised):
    result = initialised("drugs", "import-rxnorm", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "6 prescribable products" in result.stdout and "added 6" in result.stdout
    again = initialised("drugs", "import-rxnorm", str(SAMPLE), "--json")
    assert json.loads(again.stdout)["unchanged"] == 6
    found = json.loads(initialised("drugs", "search", "zestril", "--json").stdout)
    assert [f["source"] for f in found] == ["formulary", "rxnorm"]


def test_a_bad_file_exits_2_naming_the_line_and_changes_nothing(initialised, tmp_path):
    bad = tmp_path / "RXNCONSO.RRF"
    bad.write_text(SAMPLE.read_text(encoding="utf-8") + "1|2|3\n", encoding="utf-8")
    result = initialised("drugs", "import-rxnorm", str(bad))
    assert result.returncode == 2
    assert "line 11" in result.stderr and "Traceback" not in result.stderr
    found = json.loads(initialised("drugs", "search", "zestril", "--json").stdout)
    assert [f["source"] for f in found] == ["formulary"]


def test_missing_file_and_bad_arguments_exit_2(initialised, tmp_path):
    missing = initialised("drugs", "import-rxnorm", str(tmp_path / "nope.RRF"))
    assert missing.returncode == 2 and "There is no file" in missing.stderr
    assert initialised("drugs", "search").returncode == 2
    assert initialised("drugs", "search", "x", "--limit", "0").returncode == 2
    assert initialised("drugs").returncode == 2
