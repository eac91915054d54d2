"""Unit tests of analysis/: the estimate rule, formatting, escaping, control lookups."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import derive, text


def claims(*rows):
    cols = ["claim_id", "event_id", "measure", "value_min", "value_max", "qualifier",
            "source_key", "quoted", "claim_date", "group", "note"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    df["value_min"] = df["value_min"].astype("Int64")
    df["value_max"] = df["value_max"].astype("Int64")
    df["claim_date"] = pd.to_datetime(df["claim_date"])
    return df


SOURCES = pd.DataFrame({
    "source_key": ["un1", "un2", "ngo", "mek", "gov", "press"],
    "speaker_type": ["un", "un", "ngo", "mek_ncri", "iraqi_government", "press"],
    "label": ["UNAMI", "OHCHR", "Amnesty", "NCRI", "GoI", "AP"],
})


def test_rule_low_high_span_all_claims_and_best_is_most_independent_latest():
    c = claims(
        ("a", "e", "killed", 0, 0, "exact", "gov", "army", "2011-04-08", "residents", ""),
        ("b", "e", "killed", 28, 28, "exact", "un1", "UNAMI", "2011-04-13", "residents", ""),
        ("c", "e", "killed", 34, None, "at_least", "un2", "OHCHR", "2011-04-15", "residents", ""),
        ("d", "e", "killed", 36, 36, "exact", "mek", "MEK", "2011-07-01", "residents", ""),
        ("f", "e", "killed", None, 40, "up_to", "press", "x", None, "residents", ""),
    )
    est = derive.estimates(c, SOURCES).set_index(["event_id", "measure"])
    row = est.loc[("e", "killed")]
    assert (row["low"], row["best"], row["high"]) == (0, 34, 40)
    assert row["best_claim_id"] == "c"
    assert row["n_claims"] == 5


def test_rule_ignores_figures_about_other_groups():
    c = claims(
        ("a", "e", "wounded", 200, 200, "exact", "gov", "GoI", None, "residents", ""),
        ("b", "e", "wounded", 60, 60, "exact", "gov", "GoI", None, "security_forces", ""),
    )
    est = derive.estimates(c, SOURCES)
    assert est[["low", "best", "high"]].iloc[0].tolist() == [200, 200, 200]


def test_rule_tie_on_rank_and_date_takes_larger_figure():
    c = claims(
        ("a", "e", "killed", 9, None, "at_least", "ngo", "Amnesty", None, "residents", ""),
        ("b", "e", "killed", 7, 7, "exact", "ngo", "HRW", None, "residents", ""),
    )
    assert derive.estimates(c, SOURCES)["best"].iloc[0] == 9


def test_expected_event_counts_fills_columns_per_measure():
    c = claims(
        ("a", "e", "killed", 3, 3, "exact", "press", "police", None, "residents", ""),
        ("b", "e", "relocated", 397, 397, "exact", "un1", "UN", None, "residents", ""),
    )
    exp = derive.expected_event_counts(c, SOURCES)
    assert exp.loc["e", "killed_best"] == 3 and exp.loc["e", "relocated"] == 397
    assert pd.isna(exp.loc["e", "wounded_best"])


def test_disagreements_only_where_figures_differ():
    c = claims(
        ("a", "e", "killed", 3, 3, "exact", "press", "police", None, "residents", ""),
        ("b", "e", "killed", 3, 3, "exact", "un1", "UN", None, "residents", ""),
        ("c", "e", "wounded", 3, 3, "exact", "un1", "UN", None, "residents", ""),
        ("d", "e", "wounded", 5, None, "at_least", "mek", "MEK", None, "residents", ""),
    )
    dis = derive.disagreements(c, SOURCES)
    assert set(dis["claim_id"]) == {"c", "d"}


def test_disagreements_only_where_figures_conflict_on_the_same_measure():
    """PDF review of pages 51-185, item 26: 'about 40', 'about 40' and 'at least 40' agree;
    'about 400' agrees with an exact 397; running totals and partial counts are not compared
    with the event's own counts."""
    c = claims(
        ("a", "e", "wounded", 40, 40, "about", "press", "AFP", None, "residents", ""),
        ("b", "e", "wounded", 40, None, "at_least", "mek", "MEK", None, "residents", ""),
        ("c", "f", "relocated", 397, 397, "exact", "press", "State", None, "residents", ""),
        ("d", "f", "relocated", 400, 400, "about", "un1", "UN", None, "residents", ""),
        ("g", "h", "relocated", 1000, 1000, "about", "press", "VOA", None, "residents", ""),
        ("i", "h", "relocated", 1100, None, "at_least", "un1", "UNHCR", None, "residents", ""),
        ("j", "k", "wounded", 39, 39, "exact", "press", "hospital", None, "residents", ""),
        ("l", "k", "wounded", 318, 318, "exact", "un1", "UN", None, "residents", ""),
    )
    c["tally"] = ["event", "event", "event", "event", "cumulative", "cumulative", "partial",
                  "event"]
    assert derive.disagreements(c, SOURCES).empty
    c.loc[c["claim_id"] == "b", "value_min"] = 50
    assert set(derive.disagreements(c, SOURCES)["claim_id"]) == {"a", "b"}


def test_unquantified_disagreements_pair_a_vague_account_with_another_speakers():
    sources = pd.concat([SOURCES, pd.DataFrame({"source_key": ["nyt"], "speaker_type": ["press"],
                                                "label": ["NYT"]})], ignore_index=True)
    c = claims(
        ("a", "e", "killed", 0, 0, "exact", "nyt", "MEK", "1994-11-07", "residents", ""),
        ("b", "f", "killed", 2, 2, "exact", "un1", "UN", None, "residents", ""),
    )
    c["speaker_type"] = ["mek_ncri", "un"]
    vague = claims(
        ("v", "e", "killed", None, None, "unquantified", "nyt", "Tehran radio", "1994-11-07",
         "residents", ""),
        ("w", "g", "killed", None, None, "unquantified", "gov", "army", None, "residents", ""),
    )
    vague["speaker_type"] = ["iranian_government", "iraqi_government"]
    und = derive.unquantified_disagreements(c, vague, sources)
    # e: a denial (0) against 'heavy casualties'; g: a vague account alone differs from nothing
    assert list(und["claim_id"]) == ["a", "v"]
    assert derive.disagreements(c, sources).empty  # the numbers alone agree
    same = vague.assign(speaker_type="mek_ncri")
    assert derive.unquantified_disagreements(c, same.iloc[:1], sources).empty


def test_controller_at_uses_half_open_spells():
    spells = pd.DataFrame({
        "start_date": pd.to_datetime(["1986-01-01", "2003-05-10", "2009-01-01"]),
        "end_date": pd.to_datetime(["2003-05-10", "2009-01-01", None]),
        "controller": ["mek", "us_forces", "iraqi_government"],
    })
    assert derive.controller_at(spells, pd.Timestamp("2003-05-09")) == "mek"
    assert derive.controller_at(spells, pd.Timestamp("2003-05-10")) == "us_forces"
    assert derive.controller_at(spells, pd.Timestamp("2030-01-01")) == "iraqi_government"
    assert derive.controller_at(spells, pd.Timestamp("1980-01-01")) is None


@pytest.mark.parametrize("raw", [
    "<script>alert(1)</script>", "{cite}`x`", "**bold** _it_ [l](http://x)", "$x$ % & # ~ ^ \\",
    "| pipe |", "&amp; &lt;", "اشرف مجاهدین 🙂",
])
def test_md_escape_leaves_no_markup_active(raw):
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(text.md_escape(raw))
    assert "<script>" not in html and "<strong>" not in html and "<em>" not in html
    assert "<a " not in html
    import html as h
    assert h.unescape(html.replace("<p>", "").replace("</p>", "").strip()) == " ".join(raw.split())


def test_formatting():
    assert text.fmt_count(3400) == "3,400"
    assert text.fmt_claim("at_least", 9, pd.NA) == "at least 9"
    assert text.fmt_claim("up_to", pd.NA, 36) == "up to 36"
    assert text.fmt_claim("about", 400, 400) == "about 400"
    assert text.fmt_range(4, 9, 13) == "9 (4–13)"
    assert text.fmt_range(5, 5, 5) == "5"
    ts = pd.Timestamp
    assert text.fmt_span(ts("2009-07-28"), ts("2009-07-29")) == "28–29 July 2009"
    assert text.fmt_span(ts("2009-07-01"), ts("2009-07-31"), "month") == "July 2009"
    assert text.cite("a;b") == "{cite:p}`a,b`"


def test_md_table_is_numbered_and_escaped():
    df = pd.DataFrame({"Event": ["<b>x</b> | y"], "Sources": ["{cite:p}`k`"]})
    out = text.md_table(df, "Cap", "tbl-x", escape={"Event"})
    assert out.startswith(":::{table} Cap\n:name: tbl-x")
    assert "\\<b\\>x\\<\\/b\\> \\| y" in out and "{cite:p}`k`" in out


# --- the corrected rule: flagged and second-hand figures, witnesses, grades ------------------

RANKED = pd.DataFrame({
    "source_key": ["un1", "agg", "wp1", "wp2", "wp3", "press", "mek", "ap", "ngo"],
    "speaker_type": ["un", "other", "encyclopedia", "encyclopedia", "encyclopedia", "press",
                     "mek_ncri", "press", "ngo"],
    "label": ["UNAMI", "aggregator", "WP", "WP mirror", "WikiSum", "AFP", "NCRI", "AP",
              "Amnesty"],
    "witness_group": ["un1", "agg", "wikipedia", "wikipedia", "wikipedia", "press", "mek",
                      "ap", "ngo"],
    "flagged": [False, True, False, False, True, False, False, False, False],
})


def test_a_flagged_source_never_gives_the_best_estimate():
    c = claims(
        ("a", "e", "wounded", 12, 12, "exact", "agg", "aggregator", "2015-10-30", "residents", ""),
    )
    c2 = pd.concat([c, claims(("b", "e", "wounded", 5, 5, "exact", "mek", "MEK", None,
                                "residents", ""))], ignore_index=True)
    only_flagged = derive.estimates(c, RANKED).iloc[0]
    assert pd.isna(only_flagged["best"]) and (only_flagged["low"], only_flagged["high"]) == (12, 12)
    mixed = derive.estimates(c2, RANKED).iloc[0]
    assert mixed["best"] == 5 and mixed["best_claim_id"] == "b"  # even a partisan one first
    assert mixed["high"] == 12


def test_a_second_hand_figure_never_gives_the_best_estimate():
    c = claims(
        ("a", "e", "killed", 9, 9, "exact", "wp1", "Amnesty via WP", None, "residents", ""),
        ("b", "e", "killed", 4, 4, "exact", "mek", "NCRI", None, "residents", ""),
    )
    c["speaker_type"] = ["ngo", "mek_ncri"]
    c["second_hand"] = [True, False]
    row = derive.estimates(c, RANKED).iloc[0]
    assert row["best"] == 4 and row["high"] == 9


def test_cumulative_counts_are_not_an_events_count():
    c = claims(("a", "e", "relocated", 3000, None, "at_least", "un1", "UN", None, "residents", ""))
    c["tally"] = ["cumulative"]
    assert derive.expected_event_counts(c, RANKED).empty


def test_a_partial_count_bounds_the_range_but_never_gives_the_best():
    # one hospital's intake is part of the event: it may set the low, never the best
    c = claims(
        ("a", "e", "wounded", 39, 39, "exact", "press", "hospital", None, "residents", ""),
        ("b", "e", "wounded", 300, 300, "exact", "mek", "NCRI", None, "residents", ""),
    )
    c["speaker_type"] = ["iraqi_government", "mek_ncri"]
    c["tally"] = ["partial", "event"]
    row = derive.estimates(c, RANKED).iloc[0]
    assert (row["low"], row["best"], row["high"]) == (39, 300, 300)
    assert row["best_claim_id"] == "b"
    setters = derive.range_setters(c, RANKED).iloc[0]
    assert setters["low_ids"] == frozenset({"a"})
    # only partial counts: a range, no best
    only = c.iloc[:1].copy()
    row = derive.estimates(only, RANKED).iloc[0]
    assert row["low"] == 39 and row["high"] == 39 and pd.isna(row["best"])


def test_wikipedia_copies_are_one_witness():
    assert derive.count_witnesses("wp1;wp2;wp3", RANKED) == 1
    assert derive.count_witnesses(["wp1", "press", "ap"], RANKED) == 3
    c = claims(
        ("a", "e", "wounded", 318, 318, "exact", "wp1", "WP", None, "residents", ""),
        ("b", "e", "wounded", 318, 318, "exact", "wp2", "WP", None, "residents", ""),
        ("c", "e", "wounded", 320, 320, "exact", "wp3", "WP", None, "residents", ""),
    )
    assert derive.estimates(c, RANKED).iloc[0]["n_sources"] == 1


def _events(*rows):
    return pd.DataFrame([dict(zip(("event_id", "source_keys", "perpetrator_status"), r))
                         for r in rows])


def _att(*rows):
    """attestations: (source_key, stance, relays, quote, attests) for event 'e'."""
    return pd.DataFrame([{"event_id": "e", "source_key": k, "stance": st, "relays": rel,
                          "quote": q, "attests": at} for k, st, rel, q, at in rows])


Q = "words of the source"


@pytest.mark.parametrize("rows,status,grade", [
    # three Wikipedia texts are one witness
    ([("wp1", "first_hand", None, Q, "occurred"), ("wp2", "first_hand", None, Q, "occurred"),
      ("wp3", "first_hand", None, Q, "occurred")], None, "single_source"),
    # an encyclopedia is never first-hand, whatever its row says: with one press report it
    # makes two independent witnesses, one first-hand: a single source (review of 50accb7,
    # overviews #1: a Wikipedia caption had 'confirmed' a rocket attack beside Amnesty)
    ([("wp1", "first_hand", None, Q, "occurred"), ("press", "first_hand", None, Q, "occurred")],
     None, "single_source"),
    ([("wp1", "first_hand", None, Q, "occurred"), ("ngo", "first_hand", None, Q, "occurred")],
     None, "single_source"),
    ([("wp1", "own_act", None, Q, "occurred")], None, "single_source"),
    ([("press", "first_hand", None, Q, "occurred"), ("ap", "first_hand", None, Q, "occurred")],
     "disputed", "contested"),
    # partisan and flagged: no independent witness
    ([("mek", "first_hand", None, Q, "occurred"), ("agg", "first_hand", None, Q, "occurred")],
     None, "partisan_only"),
    # one NGO mention no longer confirms
    ([("mek", "first_hand", None, Q, "occurred"), ("ngo", "first_hand", None, Q, "occurred")],
     None, "single_source"),
    # an NGO and the press, both first-hand: confirmed
    ([("press", "first_hand", None, Q, "occurred"), ("ngo", "first_hand", None, Q, "occurred")],
     None, "confirmed"),
    # the acting body's own record establishes its act
    ([("un1", "own_act", None, Q, "occurred")], None, "confirmed"),
    # rows without a quote count for nothing
    ([("press", "first_hand", None, "", "occurred"), ("ap", "first_hand", None, "", "occurred")],
     None, "partisan_only"),
    # a source that does not say the event occurred is no witness
    ([("press", "first_hand", None, Q, "figures"), ("ap", "first_hand", None, Q, "occurred")],
     None, "single_source"),
    # Wikipedia repeating the MEK is the MEK's word, not an independent one
    ([("wp1", "relay", "mek_ncri", Q, "occurred"), ("mek", "first_hand", None, Q, "occurred")],
     None, "partisan_only"),
    # two relays of one UN statement count once, and are not first-hand
    ([("press", "relay", "un", Q, "occurred"), ("mek", "relay", "un", Q, "occurred")],
     None, "single_source"),
    # one relayed mention does not outrank two first-hand reports, nor add to them
    ([("press", "first_hand", None, Q, "occurred"), ("ap", "first_hand", None, Q, "occurred"),
      ("wp1", "relay", "us_government", Q, "occurred")], None, "corroborated"),
])
def test_grade_rule(rows, status, grade):
    ev = _events(("e", "", status))
    assert derive.grades(ev, claims(), RANKED, _att(*rows))["e"] == grade
    assert derive.grades(ev, claims(), RANKED, _att(*rows), why=True)["e"]


def test_every_grade_has_a_meaning():
    assert set(derive.GRADE_MEANINGS) == set(derive.GRADES)


def test_partisan_grade_reason_counts_witnesses_in_words():
    """The reason printed for a partisan-only grade reads as English ("one quoted witness",
    "2 quoted witnesses"), not "1 quoted witness(es)"."""
    ev = _events(("e", "", None))
    one = derive.grades(ev, claims(), RANKED, _att(("mek", "first_hand", None, Q, "occurred")),
                        why=True)["e"]
    two = derive.grades(ev, claims(), RANKED, _att(("mek", "first_hand", None, Q, "occurred"),
                                                   ("agg", "first_hand", None, Q, "occurred")),
                        why=True)["e"]
    assert "witness(es)" not in one + two
    assert "one quoted witness, not independent" in one
    assert "2 quoted witnesses, none independent" in two


def test_grade_rule_prints_its_definitions_and_its_grades_as_two_lists():
    """In the methods chapter the definitions (what counts, what a witness is) and the grades
    are two lists: without a blank line the sentence introducing the grades ran on inside the
    last definition and the grades continued the same list."""
    from markdown_it import MarkdownIt
    toks = MarkdownIt().parse(derive.GRADE_RULE)
    top = [t.type for t in toks if t.level == 0 and t.type.endswith("_open")]
    assert top == ["paragraph_open", "bullet_list_open", "paragraph_open", "bullet_list_open"]
    lists = [i for i, t in enumerate(toks) if t.type == "bullet_list_open" and t.level == 0]
    second = " ".join(t.content for t in toks[lists[1]:] if t.type == "inline")
    assert second.startswith("contested") and "first-hand witness is" not in second


def test_an_undated_claim_ranks_after_a_dated_one_of_its_kind():
    c = claims(("a", "e", "killed", 26, 26, "exact", "un1", "UN", "2015-10-30", "residents", ""),
               ("b", "e", "killed", 24, 24, "exact", "un1", "UNHCR", None, "residents", ""))
    assert derive.estimates(c, RANKED).iloc[0]["best"] == 26
    c.loc[1, "claim_date"] = pd.Timestamp("2015-12-01")
    assert derive.estimates(c, RANKED).iloc[0]["best"] == 24


def test_dates_show_their_precision():
    ts = pd.Timestamp
    assert text.fmt_span(ts("1992-04-05"), ts("1992-04-06"), "bracketed") == "5 or 6 April 1992"
    assert text.fmt_span(ts("2003-04-15"), ts("2003-04-22"), "bracketed") == \
        "between 15 and 22 April 2003"
    assert text.fmt_span(ts("2012-03-01"), ts("2012-04-30"), "bracketed") == "March or April 2012"
    assert text.fmt_span(ts("2003-04-01"), ts("2009-01-31"), "span") == \
        "c. April 2003 – January 2009"
    assert text.fmt_range(12, pd.NA, 12) == "– (12)"


def test_the_changelog_table_lists_every_change_with_a_reason_and_old_and_new_values():
    """Issue 17: a historian who cited 1.1.0 sees, per changed event, the old and the new
    value and why. Issue 18: a release-wide reason (the new grade rule) is said once, above a
    table of the changes it explains, not repeated on every row; grades read as elsewhere."""
    from analysis.changes import changed_events, changes_table, release_wide_reasons

    raw = changed_events()
    own, rule = changes_table(), changes_table(release_wide=True)
    pairs = raw[raw["field"].isin(["start_date", "end_date"])].groupby("event_id").size()
    merged = int((pairs == 2).sum())  # start and end date of one event: one 'dates' row
    assert len(own) + len(rule) == len(raw) - merged > 0
    assert not own["Field"].isin(["start date", "end date"]).any() or merged < len(pairs)
    assert raw["release_wide"].sum() == len(rule) > 0
    assert all(own["Why"].str.len() > 0), "a change without its reason"
    assert "Why" not in rule.columns, "the release-wide reason repeated on each row"
    for table in (own, rule):
        assert (table.filter(like="In ").iloc[:, 0] != table["Now"]).all(), "an unchanged value"
        assert not table.isin(["single_source", "partisan_only"]).any().any(), "a raw grade code"
    assert set(rule["Now"]) <= {"confirmed", "corroborated", "single source", "no independent source",
                                "contested"}
    reasons = release_wide_reasons()
    assert list(reasons) == ["grade"] and "GRADE_RULE" not in reasons["grade"]
    assert not own["Why"].str.contains("GRADE_RULE|rule change of this release").any()
    badr = own[own["Event"].str.contains("2015-07-01-badr-commander-killed")]
    assert set(badr["Now"]) >= {"2015-07-13"}, badr
    raid = own[own["Event"].str.contains("2011-04-08-raid")].set_index("Field")
    assert raid.loc["wounded (best estimate)", "Now"] == "no best estimate"


@pytest.mark.parametrize("quoted, label, phrase", [
    ("MEK", "AFP", "the MEK, as reported by AFP"),
    ("UNHCR", "UNHCR", "UNHCR"),
    ("the article", "Wikipedia (starting text)", "Wikipedia"),
    ("the Wikipedia article", "Wikipedia (starting text)", "Wikipedia"),
    ("unnamed sources cited by the article", "Wikipedia (starting text)",
     "unnamed sources cited by Wikipedia"),
    ("Washington Report on Middle East Affairs", "WRMEA",
     "the Washington Report on Middle East Affairs"),
    ("Baquba hospital", "AP", "the Baquba hospital, as reported by AP"),
    ("Iraqi official", "AFP", "an Iraqi official, as reported by AFP"),
    ("MEK lawyer", "AP", "an MEK lawyer, as reported by AP"),
    ("NCRI statement", "USCCAR (StopFundamentalism text)", "an NCRI statement, as reported by USCCAR"),
    ("police and UN", "AP", "police and the UN, as reported by AP"),
    ("US officials", "Foreign Policy", "US officials, as reported by Foreign Policy"),
    ("Iraqi officials, as reported by the US State Department", "US State Dept",
     "Iraqi officials, as reported by the US State Department"),
])
def test_who_gave_a_figure_reads_as_a_phrase(quoted, label, phrase):
    """Issue 18: 'the figure given by <who>' names the speaker once and the outlet once, with
    an article where English needs one and no editors' note in brackets."""
    assert text.speaker_phrase(quoted, label) == phrase


def test_speaker_phrase_refuses_an_empty_speaker():
    with pytest.raises(ValueError, match="no speaker"):
        text.speaker_phrase("", "AP")


def test_glued_best_by_values_read_well_in_the_chapters():
    """Issue 18: every '<event>.<measure>_best_by' glued for the chapters, as the reader sees
    it: no 'the article, as reported by Wikipedia', no outlet named twice, no editors' note
    such as '(starting text)', and the speaker of each best estimate quoted in prose."""
    import re
    from pathlib import Path

    from analysis import chapter
    from analysis.load import load

    data = load()
    glued = {}
    for pid in data.periods["period_id"]:
        glued.update({k: v for k, v in chapter.Chapter(pid, data=data, glue=False).glued.items()
                      if k.endswith("_best_by")})
    assert len(glued) > 20
    for key, who in glued.items():
        assert "the article" not in who, (key, who)
        assert who.count("as reported by") <= 1, (key, who)
        assert not re.search(r"\((starting text|old|WP mirror|[^)]* text)\)", who), (key, who)
        speaker, _, outlet = who.partition(", as reported by ")
        if outlet:
            assert outlet.lower() not in speaker.lower(), (key, who)
        assert not re.match(r"(MEK|NCRI|PMOI|UN|Iraqi official|Baquba)\b", who), (key, who)
    # no best estimate, so no speaker of one (the parties disagree, nobody independent counted)
    assert "2011-04-08-raid.wounded_best_by" not in glued
    assert glued["2011-04-08-raid.killed_best_by"] == "UNAMI"
    assert glued["1992-04-05-air-raid.killed_best_by"] == \
        "the Washington Report on Middle East Affairs"
    assert glued["1992-04-05-air-raid.wounded_best_by"] == "the MEK, as reported by AFP"
    # every such key the chapters use is glued, and no sentence strings two of them with
    # 'and by' (p2 once read 'given by X and by Y')
    chapters = Path(__file__).resolve().parent.parent / "chapters"
    for md in chapters.glob("*.md"):
        src = md.read_text(encoding="utf-8")
        for key in re.findall(r"\{glue:text\}`([^`]+_best_by)`", src):
            assert key in glued, (md.name, key)
        assert not re.search(r"_best_by`\s+and\s+by\s+\{glue", src), md.name


def test_missing_range_setters_names_the_figure_that_sets_a_range_but_is_in_no_row():
    """A claims table that leaves out the flagged figure which sets the high end of the
    range (Trend's 10 of 9 February 2013) is caught; with it, the table agrees."""
    src = pd.concat([SOURCES, pd.DataFrame({"source_key": ["trend"], "speaker_type": ["press"],
                                            "label": ["Trend"], "flagged": [True]})])
    c = claims(
        ("lo", "e", "killed", 1, 1, "exact", "gov", "ministry", "2013-02-09", "residents", ""),
        ("un", "e", "killed", 6, 6, "exact", "un1", "UN", "2013-02-09", "residents", ""),
        ("hi", "e", "killed", 10, 10, "exact", "trend", "Trend", "2013-02-09", "residents", ""),
        ("w", "e", "wounded", 12, 12, "exact", "press", "AP", "2013-02-09", "residents", ""),
        ("sf", "e", "wounded", 3, 3, "exact", "press", "AP", "2013-02-09", "security_forces",
         ""),
    )
    missing = derive.missing_range_setters(c, src, ["lo", "un"])
    assert missing == ["e killed: the highest figure of the range (hi) is in no row"]
    assert derive.missing_range_setters(c, src, ["lo", "un", "hi"]) == []
    # the UN's figure, the best estimate, left out: caught too
    assert derive.missing_range_setters(c, src, ["lo", "hi"]) == [
        "e killed: the best estimate's figure (un) is in no row"]
    # the residents' wounded are not shown at all: caught only when every measure must agree
    assert derive.missing_range_setters(c, src, ["lo", "un", "hi", "sf"]) == []
    assert derive.missing_range_setters(c, src, ["lo", "un", "hi", "sf"],
                                        measures_of="all") == [
        "e wounded: the lowest figure of the range (w) is in no row",
        "e wounded: the highest figure of the range (w) is in no row",
        "e wounded: the best estimate's figure (w) is in no row"]


OLD_FEB_2013_KILLED = [  # Table 8.1 before the fix: Trend's flagged 10 (the high) left out
    "2013-02-09-rocket-attack--interior-ministry-1", "2013-02-09-rocket-attack--reuters-police-5",
    "2013-02-09-rocket-attack--aljazeera-police-5", "2013-02-09-rocket-attack--ap-police-un-6",
    "2013-02-09-rocket-attack--state-6", "2013-02-09-rocket-attack--un-news-6",
    "2013-02-09-rocket-attack--ncri-6", "2013-02-09-rocket-attack--rnz-pmoi-7",
    "2013-02-09-rocket-attack--unhcr-8", "2013-02-09-rocket-attack--iranprobe-8"]


def test_the_breakdown_of_best_estimates_adds_up():
    """pdf-review-2 p.96: 'Of the 45 best estimates ...' named parts that summed to 44 (the
    one resting on a court's or scholar's figure was left out). Every kind of source that gives
    a best estimate is named in the paragraph, and the parts sum to the whole."""
    import re
    from pathlib import Path

    from analysis import chapter

    g = chapter.Overview(glue=False).glued
    parts = {k: int(v.replace(",", "")) for k, v in g.items() if k.startswith("book.best_by.")}
    assert sum(parts.values()) == int(g["book.best_estimates"].replace(",", ""))
    text = Path("chapters/overview-sources.md").read_text(encoding="utf-8")
    para = text[text.index("{glue:text}`book.best_estimates`"):]
    para = para[:para.index("\n\n")]
    named = set(re.findall(r"`(book\.best_by\.[a-z_]+)`", para))
    assert {k for k, n in parts.items() if n} <= named, sorted(set(parts) - named)


def test_the_controller_table_lists_every_controller_of_ashraf_zero_included():
    """pdf-review-2 p.89: Table 11.3 left out US forces, who held the camp from 2003 to 2009
    with no attack recorded; a reader took the gap for missing data. Every controller of Camp
    Ashraf in the spells is a row, in the order they held it, 0 attacks included."""
    from analysis import chapter
    from analysis.load import load

    data = load()
    table = str(chapter.Overview(data=data, glue=False).controller_table().data)
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    assert [r.split(" | ")[0].lstrip("| ") for r in rows][:3] == [
        "MEK base granted by Iraq", "US forces", "Iraqi government"]
    assert "| US forces | 0 | – | – |" in rows
    controllers = set(data.spells.loc[data.spells["site"] == "ashraf", "controller"])
    assert len(rows) == len(controllers)


def test_both_given_by_names_one_speaker_once_and_two_in_order():
    """'N killed and M wounded, both given by Amnesty International': the name once when one
    speaker gave both best estimates (the review found it printed twice in a row), both in
    order when they differ, and an error when no speaker is known."""
    from analysis.text import both_given_by
    assert both_given_by("Amnesty International", "Amnesty International") == \
        "both given by Amnesty International"
    assert both_given_by("UNHCR", "the MEK, as reported by AFP") == \
        "given by UNHCR and by the MEK, as reported by AFP respectively"
    assert both_given_by("UNHCR", None) == "given by UNHCR"
    with pytest.raises(ValueError, match="no best estimate"):
        both_given_by(None, None)


def test_a_glued_value_is_output_exactly_as_myst_nb_glue_outputs_it():
    """Chapter.glue writes myst-nb's glue output itself (for speed): the display message must
    be the one myst_nb.glue(key, value, display=False) sends, or the book's {glue:text} would
    not find its values."""
    from unittest import mock

    from myst_nb import glue as myst_glue

    from analysis.chapter import Chapter

    def sent(call):
        with mock.patch("IPython.display.display") as d1, \
                mock.patch("myst_nb.ext.glue.ipy_display") as d2:
            call()
        (args, kwargs), = (d1.call_args_list or d2.call_args_list)
        return args, kwargs

    ch = Chapter("p1", glue=False)
    ch._glue_on = True
    for value in ("about 1,000", "the MEK, as reported by AFP", "3 (0–3)", "it's “quoted”"):
        assert sent(lambda: ch.glue("k.x", value)) == \
            sent(lambda: myst_glue("k.x", value, display=False))


def test_a_description_keeps_its_code_spans_and_spaces():
    """The codebook prints `make estimates` as code, not with its backquotes; the rest of a
    description is escaped as before, spaces around the span kept."""
    from analysis.text import md_escape_prose
    assert md_escape_prose("filled in by `make estimates`; see (b)") == \
        "filled in by `make estimates`\\; see \\(b\\)"
    assert md_escape_prose("no code here") == "no code here"


def test_the_attacks_by_how_their_dead_are_counted_add_up_to_all_attacks():
    """The overview sorts every attack by its figures for the dead (sources differ, several
    agree, one source, none): a reader adding the four numbers gets the number of attacks."""
    from analysis import load
    from analysis.chapter import analysis_keys
    keys = analysis_keys(load.load())
    n = lambda k: int(keys[k].replace(",", ""))   # noqa: E731
    parts = [n(f"book.attacks_{k}") for k in ("disputed", "agreed", "single", "no_figure")]
    assert sum(parts) == len(derive.attacks(load.load().events)), parts


def test_the_sources_behind_the_figures_add_up():
    """The introduction says the figures cite N entries, of which W are Wikipedia texts that
    count as one source, so the figures rest on S sources: a reader's N - W + 1 must be S.
    (If other copies of one text come to be cited for figures, the sentence needs a clause
    for them, and this test says so.)"""
    from analysis import load
    from analysis.chapter import analysis_keys
    d = load.load()
    keys = analysis_keys(d)
    n = lambda k: int(keys[k].replace(",", ""))   # noqa: E731
    sources = derive.count_witnesses(d.claims["source_key"].unique(), d.sources)
    assert n("book.claim_entries") - n("book.wikipedia_texts") + 1 == sources, (
        "copies other than Wikipedia's texts among the figures' sources: "
        "say so in intro.md and overview-sources.md")


def test_the_grades_are_glossed_in_one_wording_everywhere():
    """The register and the codebook (datapackage.json's description of events.grade) give
    each grade the same one-line gloss, derive.GRADE_GLOSS, which follows GRADE_RULE's order."""
    import json

    from analysis import derive, register
    from conftest import ROOT

    assert register.GRADE is derive.GRADE_GLOSS
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    events = next(r for r in package["resources"] if r["name"] == "events")
    text = next(f for f in events["schema"]["fields"] if f["name"] == "grade")["description"]
    for grade, gloss in derive.GRADE_GLOSS.items():
        assert f"'{grade}' ({gloss})" in text, f"the codebook glosses '{grade}' otherwise"
    # each grade's line opens with its printed name, the code given once where they differ
    order = [derive.GRADE_RULE.index(
        f"- {derive.GRADE_LABELS[g]}" + (":" if derive.GRADE_LABELS[g] == g else
                                          f" (code ``{g}``):")) for g in derive.GRADE_GLOSS]
    assert order == sorted(order), "GRADE_GLOSS is not in GRADE_RULE's order"


def test_claim_dates_print_at_their_precision_in_claims_tables_and_the_register():
    """A source that shows only the month or the year of a figure is entered on the first day
    of it; the claims tables and the register print 'March 2012' and '2025', not
    '1 March 2012' and '1 January 2025'. A claim dated to the day keeps its day."""
    from analysis.chapter import Chapter
    from analysis.load import load
    from analysis.register import Register

    data = load()
    c = data.claims.set_index("claim_id")
    month, year = "2012-03-01-convoy-2--unhcr-400", "2010-10-17-armed-attack--article-10"
    assert str(c.at[month, "claim_date_precision"]) == "month"
    assert str(c.at[year, "claim_date_precision"]) == "year"
    assert text.fmt_date(pd.Timestamp("2012-03-05"), "day") == "5 March 2012"

    def dates(ids, caption):
        table = str(Chapter("p5", data, glue=False).claims_table(ids, caption, "tbl-x").data)
        return {ln.split(" | ")[-2] for ln in table.splitlines()
                if ln.startswith("| ") and not ln.startswith(("| Figure", "| ---"))}

    convoy = [i for i in c.index if c.at[i, "event_id"] == "2012-03-01-convoy-2"]
    assert dates(convoy, "Residents relocated") == {"March 2012"}
    assert dates([year], "Residents wounded") == {"2025"}

    register = Register(data)
    # the register's figure tables print short dates ('Mar 2012'), at the claim's precision
    for event_id, shown, hidden in (("2012-03-01-convoy-2", "| Mar 2012 |", "1 Mar 2012"),
                                    ("2010-10-17-armed-attack", "| 2025 |", "Jan 2025")):
        e = next(r for r in data.events.itertuples(index=False) if r.event_id == event_id)
        entry = register.entry(e)
        assert shown in entry and hidden not in entry, entry


def test_the_acting_party_figure_never_gives_the_best_when_the_parties_disagree():
    # July 2009: the government whose forces raided the camp counts 200 wounded, the MEK 500,
    # an encyclopedia 400 in its own voice; nobody independent counted: a range, no best
    c = claims(
        ("gov", "raid", "wounded", 200, 200, "exact", "press", "Iraqi official", "2009-07-28",
         "residents", ""),
        ("mek", "raid", "wounded", 500, 500, "about", "mek", "MEK", "2009-07-29", "residents", ""),
        ("wp", "raid", "wounded", 400, 400, "about", "wp1", "WP", "2025-01-01", "residents", ""),
    )
    c["speaker_type"] = ["iraqi_government", "mek_ncri", "encyclopedia"]
    events = pd.DataFrame({"event_id": ["raid"], "acting_party": ["iraqi_government"]})
    row = derive.estimates(c, RANKED, events).iloc[0]
    assert (row["low"], row["high"]) == (200, 500)
    assert pd.isna(row["best"]) and pd.isna(row["best_claim_id"])
    # the same government's count of an act by someone else is independent and gives the best
    other = pd.DataFrame({"event_id": ["raid"], "acting_party": ["iranian_government"]})
    row = derive.estimates(c, RANKED, other).iloc[0]
    assert row["best"] == 200 and row["best_claim_id"] == "gov"
    # an acting party listed among several (';') is still a party
    both = pd.DataFrame({"event_id": ["raid"], "acting_party": ["iranian_government;iraqi_government"]})
    assert pd.isna(derive.estimates(c, RANKED, both).iloc[0]["best"])
    # the counts the validator expects follow the same rule: a low and a high, no best
    counts = derive.expected_event_counts(c, RANKED, events).loc["raid"]
    assert (counts["wounded_low"], counts["wounded_high"]) == (200, 500)
    assert pd.isna(counts["wounded_best"])


def test_party_figures_that_agree_give_the_best_and_an_independent_one_outranks_them():
    # one side's figure alone (a raid no one else counted) is its best; an encyclopedia that
    # agrees changes nothing
    c = claims(
        ("mek", "e", "killed", 1, 1, "exact", "mek", "MEK", "1992-04-05", "residents", ""),
        ("wp", "e", "killed", 1, 1, "exact", "wp1", "WP", "2025-01-01", "residents", ""),
    )
    c["speaker_type"] = ["mek_ncri", "encyclopedia"]
    row = derive.estimates(c, RANKED).iloc[0]
    assert row["best"] == 1 and row["best_claim_id"] == "wp"  # first by rank among equals
    # an independent figure, even a lower-ranked kind than the encyclopedia's usual place,
    # gives the best however the parties' figures spread
    c2 = pd.concat([c, claims(
        ("mek2", "e", "killed", 9, 9, "exact", "mek", "MEK", "1992-04-06", "residents", ""),
        ("ap", "e", "killed", 3, 3, "exact", "ap", "AP", "1992-04-05", "residents", ""))],
        ignore_index=True)
    c2["speaker_type"] = ["mek_ncri", "encyclopedia", "mek_ncri", "press"]
    row = derive.estimates(c2, RANKED).iloc[0]
    assert (row["low"], row["best"], row["high"]) == (1, 3, 9) and row["best_claim_id"] == "ap"


def test_a_death_given_as_killed_by_one_side_and_as_died_by_the_other_has_no_best():
    # June 2023: the NCRI says the police killed a resident, the police (who carried out the
    # search) that he died of a suspected heart attack: the cause is disputed, no best
    c = claims(
        ("mek", "e", "killed", 1, 1, "exact", "mek", "NCRI", "2023-06-20", "residents", ""),
        ("police", "e", "died", 1, 1, "exact", "press", "police", "2023-06-20", "residents", ""),
    )
    c["speaker_type"] = ["mek_ncri", "other_government"]
    events = pd.DataFrame({"event_id": ["e"], "acting_party": ["other_government"]})
    est = derive.estimates(c, RANKED, events).set_index("measure")
    assert pd.isna(est.loc["killed", "best"]) and est.loc["killed", "low"] == 1
    # nor is the other side's 'died' the figure (review of b007e09-b, #1)
    assert pd.isna(est.loc["died", "best"]) and est.loc["died", "low"] == 1
    # without the other account, the one side's figure alone is its best
    alone = derive.estimates(c.iloc[:1], RANKED, events).iloc[0]
    assert alone["best"] == 1


def test_events_tables_mark_a_best_estimate_no_independent_source_gave():
    """Review of 6de8688, a#11: '176' for the January 2011 day was Rajavi's count printed as
    an unmarked best estimate. A best estimate that rests on a party's (or an encyclopedia's,
    or an unassessed source's) figure carries a dagger, explained in the table's note; one an
    independent source gave (the UN's 34 dead of April 2011) does not."""
    from analysis.chapter import Chapter

    ch = Chapter("p5", glue=False)
    table = ch.events_table(ch.events, "Events", "tbl-test").data
    rows = {line.split("](#ev-")[1].split(")")[0]: line for line in table.splitlines()
            if "](#ev-" in line}
    assert "| 176† |" in rows["2011-01-07-gate-attack"]
    assert "| 34 \\(0–36\\) |" in rows["2011-04-08-raid"] and "†" not in rows["2011-04-08-raid"]
    assert "†: no independent source gave a figure" in table


def test_events_tables_promise_brackets_only_where_they_print_them():
    """Review of c60c8b1, #32: the note of Tables 2.1 and 3.1 spoke of figures in brackets
    that no cell of theirs has; a table with brackets (Table 6.3) keeps the sentence."""
    from analysis.chapter import Chapter

    for pid in ("p1", "p5"):
        ch = Chapter(pid, glue=False)
        table = ch.events_table(ch.events, "Events", "tbl-test").data
        rows = [line for line in table.splitlines() if "](#ev-" in line]
        brackets = any("\\(" in line or "(" in line.split("](#ev-")[1].split(")", 1)[1]
                       for line in rows)
        assert ("in brackets" in table) == brackets, pid


def test_one_organisation_is_one_witness_however_many_texts():
    """Review of 6de8688-b, #14: Amnesty's three statements on one raid counted as three
    independent first-hand witnesses. Texts of one organisation (one label) are one witness:
    two AP stories do not corroborate each other; AP and AFP do."""
    sources = pd.DataFrame({
        "source_key": ["ap1", "ap2", "afp", "reprint"],
        "speaker_type": ["press"] * 4, "label": ["AP", "AP", "AFP", "Townhall"],
        "witness_group": ["ap1", "ap2", "afp", "ap1"], "flagged": [False] * 4})
    events = pd.DataFrame({"event_id": ["e"], "perpetrator_status": [pd.NA]})

    def grade(keys):
        att = pd.DataFrame({"attestation_id": [f"e--{k}" for k in keys], "event_id": "e",
                            "source_key": keys, "attests": "occurred", "stance": "first_hand",
                            "relays": pd.NA, "quote": "it happened"})
        return derive.grades(events, None, sources, att)["e"]

    assert grade(["ap1", "ap2"]) == "single_source"
    assert grade(["ap1", "reprint"]) == "single_source"
    assert grade(["ap1", "afp"]) == "corroborated"
    w = derive.witnesses(events, None, sources, pd.DataFrame({
        "attestation_id": ["a", "b", "c"], "event_id": "e", "source_key": ["ap1", "ap2", "afp"],
        "attests": "occurred", "stance": "first_hand", "relays": pd.NA, "quote": "q"}))
    assert sorted(w["witness_group"]) == ["AFP", "AP"]


def test_a_sum_of_best_estimates_below_its_bracket_is_explained():
    """Review of b007e09-b, #6: Table 11.2's '67 (280–917)' read as an error: the best-estimate
    sum leaves out attacks without a best estimate, which the bracketed sums include. The
    tables of sums now say so under them wherever a sum falls below its bracket."""
    from analysis.chapter import Overview

    book = Overview(glue=False)
    for table in (book.controller_table().data, book.totals_table().data):
        cells = re.findall(r"\| (\d[\d,]*) \\\((\d[\d,]*)–", table)
        below = any(int(a.replace(",", "")) < int(b.replace(",", "")) for a, b in cells)
        assert below == ("can fall below its bracket" in table), table[-300:]
        assert "the sum of the attacks' best estimates" in table
