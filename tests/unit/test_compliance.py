"""R-A3 ad-copy check: a versioned lexicon, normalised copy, hits at original positions."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from closedloop import InvalidInput, Policy, RuleViolation
from closedloop.application.policy_file import load_policy
from closedloop.domain.compliance import (
    DEFAULT_ALLOWED,
    DEFAULT_TERMS,
    Evidence,
    Hit,
    Lexicon,
    check_copy,
    normalise,
)

LEXICON = Policy().compliance.lexicon()


def hits(text: str, lexicon: Lexicon = LEXICON) -> list[tuple[str, int, int]]:
    return [(hit.term, hit.start, hit.end) for hit in check_copy(text, lexicon).hits]


def test_R_A3_the_default_lexicon_is_versioned_and_starts_with_article_9() -> None:
    assert LEXICON.version == "2026.1"
    assert {"国家级", "最高级", "最佳"} <= set(LEXICON.terms)  # named by art. 9(3)
    assert 30 <= len(LEXICON.terms) <= 60
    assert LEXICON.allowed == DEFAULT_ALLOWED


@pytest.mark.parametrize("term", DEFAULT_TERMS)
def test_R_A3_every_default_term_is_found_as_itself(term: str) -> None:
    assert hits(f"【{term}】") == [(term, 1, 1 + len(term))]


@pytest.mark.parametrize("phrase", DEFAULT_ALLOWED)
def test_R_A3_allowed_phrases_are_no_claim(phrase: str) -> None:
    assert hits(f"【{phrase}】") == []


def test_R_A3_the_longest_term_wins_where_terms_overlap() -> None:
    copy = "年货节：全网最低价，错过再等一年"
    check = check_copy(copy, LEXICON)
    assert check.hits == (Hit("全网最低价", 4, 9, "全网最低价"),)
    assert not check.clean


@pytest.mark.parametrize(
    ("copy", "term", "excerpt"),
    [
        ("本店ＮＯ．１品牌", "No.1", "ＮＯ．１"),
        ("本店No 1品牌", "No.1", "No 1"),
        ("这是最 佳选择", "最佳", "最 佳"),
        ("这是最-佳选择", "最佳", "最-佳"),
        ("这是最*佳选择", "最佳", "最*佳"),
        ("这是最_佳选择", "最佳", "最_佳"),
        ("这是最.佳选择", "最佳", "最.佳"),
        ("面料顶\u200b级", "顶级", "顶\u200b级"),
        ("國家級產品", "国家级", "國家級"),
        ("獨 一 無 二的設計", "独一无二", "獨 一 無 二"),
        ("Spring sale 我们的服务最佳 come in", "最佳", "最佳"),
        ("The BEST tea in town", "best", "BEST"),
        ("ｂｅｓｔ tea", "best", "ｂｅｓｔ"),
        ("World Class service", "world-class", "World Class"),
        ("１００％有效", "100%", "１００％"),
    ],
)
def test_R_A3_any_spelling_is_found_at_its_original_position(
    copy: str, term: str, excerpt: str
) -> None:
    (hit,) = check_copy(copy, LEXICON).hits
    assert hit.term == term
    assert hit.excerpt == excerpt == copy[hit.start : hit.end]
    assert copy.index(excerpt) == hit.start


def test_R_A3_every_occurrence_is_reported_in_order() -> None:
    copy = "最佳口感，第一品牌，又一次最佳"
    assert hits(copy) == [("最佳", 0, 2), ("第一品牌", 5, 9), ("最佳", 13, 15)]


@pytest.mark.parametrize(
    "copy",
    [
        "春季新品上市，欢迎到店品尝。",
        "Fresh tea, brewed daily. Come in!",
        "",
    ],
)
def test_R_A3_clean_copy_passes(copy: str) -> None:
    check = check_copy(copy, LEXICON)
    assert check.clean
    assert check.hits == ()
    assert check.lexicon_version == "2026.1"


@pytest.mark.parametrize(
    "copy",
    [
        "第一次来店送茶点",
        "第 一 时间发货",
        "第一季度新品",
        "最佳食用期12个月",
        "Best before 2026-06",
    ],
)
def test_R_A3_allowed_compounds_suppress_the_hit(copy: str) -> None:
    assert hits(copy) == []


def test_R_A3_allowed_compounds_suppress_only_what_they_cover() -> None:
    assert hits("第一次就选销量第一") == [("销量第一", 5, 9)]


@pytest.mark.parametrize("copy", ["bestow", "No.10 bus", "TOP10 picks", "2100% growth"])
def test_R_A3_latin_terms_stop_at_word_boundaries(copy: str) -> None:
    assert hits(copy) == []


def test_R_A3_a_ligature_is_one_character() -> None:
    lexicon = Lexicon("t1", ["first"])
    assert hits("\ufb01rst", lexicon) == [("first", 0, 4)]  # ﬁ folds to "fi"
    assert hits("\ufb01rst", Lexicon("t2", ["irst"])) == []  # never half of ﬁ


def test_R_A3_the_check_records_its_lexicon_version() -> None:
    lexicon = Lexicon("brand-2026.2", ["纯天然"])
    check = check_copy("纯天然原料", lexicon)
    assert check.lexicon_version == "brand-2026.2"
    assert check.hits == (Hit("纯天然", 0, 3, "纯天然"),)


def test_R_A3_a_policy_file_replaces_the_lexicon(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text(
        """
[compliance]
lexicon_version = "acme-2026.2"
terms = ["纯天然", "零添加", "最佳"]
allowed = ["最佳赏味期"]
""",
        encoding="utf-8",
    )
    lexicon = load_policy(file).compliance.lexicon()
    assert lexicon == Lexicon("acme-2026.2", ["纯天然", "零添加", "最佳"], ["最佳赏味期"])
    check = check_copy("零 添 加，顶级口感，最佳赏味期3天", lexicon)
    assert check.lexicon_version == "acme-2026.2"
    assert [hit.term for hit in check.hits] == ["零添加"]  # 顶级 is no longer a term


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"terms": ["纯天然"]}, "needs its own lexicon_version"),
        ({"allowed": []}, "needs its own lexicon_version"),
        ({"lexicon_version": " ", "terms": ["纯天然"]}, "needs a version"),
        ({"lexicon_version": "2", "terms": []}, "has no terms"),
        ({"lexicon_version": "2", "terms": ["最佳", "最 佳"]}, "same once normalised"),
        ({"lexicon_version": "2", "terms": ["最佳", "---"]}, "no letter or digit"),
        ({"lexicon_version": "2", "terms": ["最佳"], "allowed": ["最-佳"]}, "switch off"),
        ({"lexicon_version": "2", "terms": ["最佳"], "allowed": ["·"]}, "no letter or digit"),
        ({"lexicon_version": "2", "terms": "最佳"}, "compliance.terms"),
        ({"lexicon": ["最佳"]}, "compliance.lexicon"),
    ],
)
def test_R_A3_a_bad_lexicon_is_refused_with_the_reason(
    section: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=f"invalid policy: .*{problem}"):
        Policy.from_mapping({"compliance": section})


def test_R_A3_a_lexicon_of_one_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="list of phrases"):
        Lexicon("1", "最佳")


def test_R_A3_normalisation_folds_width_case_and_script_and_drops_noise() -> None:
    assert normalise("ＮＯ．１ 國家級, Straße 100％\u200b!") == "no1国家级strasse100%"


def test_R_A3_evidence_is_limited_in_time() -> None:
    evidence = Evidence(date(2026, 1, 1), date(2026, 3, 31), "全国", "中国连锁经营协会 2025 年报")
    assert evidence.covers(date(2026, 1, 1))
    assert evidence.covers(date(2026, 3, 31))
    assert not evidence.covers(date(2025, 12, 31))
    assert not evidence.covers(date(2026, 4, 1))


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "region", "source", "problem"),
    [
        (date(2026, 4, 1), date(2026, 3, 31), "全国", "年报", "limited in time"),
        (date(2026, 1, 1), date(2026, 3, 31), " ", "年报", "region"),
        (date(2026, 1, 1), date(2026, 3, 31), "全国", "", "source"),
    ],
)
def test_R_A3_evidence_needs_time_region_and_source(
    valid_from: date, valid_until: date, region: str, source: str, problem: str
) -> None:
    with pytest.raises(RuleViolation, match=f"R-A3: .*{problem}"):
        Evidence(valid_from, valid_until, region, source)


def test_R_A3_the_converter_loads_only_when_copy_is_checked() -> None:
    code = "import sys, closedloop; sys.exit('opencc' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
