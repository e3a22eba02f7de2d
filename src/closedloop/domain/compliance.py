"""Ad-copy compliance (R-A3): prohibited absolute claims, found however the copy spells them.

The lexicon. China's Advertising Law art. 9(3) forbids "国家级, 最高级, 最佳 and similar"
absolute terms; :data:`DEFAULT_TERMS` holds those three and the similar ones that market
regulators' published lists and the SAMR *Enforcement Guideline on Absolute Terms in
Advertising* (2023) name again and again (第一, 唯一, 首个, 顶级, 极品, 独一无二, 销量冠军 …),
plus the English forms seen in Chinese copy (No.1, TOP1, number one, best, world-class,
lowest price): the law applies to every language an advertisement uses. The list is policy:
``[compliance] lexicon_version`` and ``terms`` replace it, and every check records the version
it ran against, so a new lexicon needs a new check.

Matching. Copy and terms are brought to one form before comparing (:func:`normalise`):

* each character is folded on its own, so every position maps back to the original copy:
  Unicode NFKC (full width ＮＯ．１ is No.1, ① is 1), case folding, and traditional to
  simplified Chinese with OpenCC's ``t2s`` (國家級 is 国家级), repeated until stable;
* noise is dropped: every character that is neither a letter nor a digit (spaces, zero-width
  and other format characters, punctuation, symbols, emoji, combining marks), except the
  significant ``%`` and ``‰`` that make claims such as 100%. So 最 佳, 最-佳, 最*佳, 最_佳, 最.佳
  and 顶\\u200b级 are all 最佳 and 顶级, however long the noise between the letters.

A term whose first (last) character is a Latin letter or digit matches only where the copy
has no such character right before (after) it: "best" is not in "bestow", "No.1" is not in
"No.10". Where terms overlap the leftmost, then longest, match is reported and the others
inside it are not (全网最低价, not also 最低价 and 最低). A match that lies within an
allowed phrase is no claim and is not reported: :data:`DEFAULT_ALLOWED` lists ordinal uses of
第一 (第一次, 第一天, 第一步 …) and the consumer hints the 2023 guideline exempts (最佳食用期,
"best before"); the policy's ``allowed`` replaces the list.

A hit blocks launch unless a ``compliance`` reviewer records an exemption with
:class:`Evidence`: a provable fact limited in time, region and source.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date

import attrs

from closedloop.domain.errors import InvalidInput, require

DEFAULT_LEXICON_VERSION = "2026.1"

#: Absolute claims (Advertising Law art. 9(3) and the SAMR 2023 guideline's examples).
DEFAULT_TERMS: tuple[str, ...] = (
    # named by art. 9(3)
    "国家级",
    "最高级",
    "最佳",
    # "最" + quality, price, rank
    "世界级",
    "全球级",
    "最好",
    "最优",
    "最强",
    "最大",
    "最高",
    "最低",
    "最低价",
    "全网最低价",
    "最便宜",
    "最先进",
    "最新技术",
    "最受欢迎",
    # first, only, top
    "第一",
    "第一品牌",
    "销量第一",
    "全国第一",
    "唯一",
    "首个",
    "首家",
    "全国首家",
    "全球首发",
    "首选",
    "顶级",
    "顶尖",
    "极品",
    "极致",
    "终极",
    "王牌",
    "至尊",
    "巅峰",
    "销量冠军",
    "领导品牌",
    "领袖品牌",
    "世界领先",
    "遥遥领先",
    # beyond compare, beyond doubt
    "独一无二",
    "绝无仅有",
    "史无前例",
    "前无古人",
    "空前绝后",
    "无与伦比",
    "填补国内空白",
    "绝对",
    "万能",
    "100%",
    # English forms in Chinese copy
    "No.1",
    "TOP1",
    "number one",
    "best",
    "world-class",
    "lowest price",
)

#: Phrases that contain a term but claim nothing: ordinals and consumer hints.
DEFAULT_ALLOWED: tuple[str, ...] = (
    "第一次",
    "第一天",
    "第一步",
    "第一时间",
    "第一期",
    "第一届",
    "第一批",
    "第一季度",
    "第一阶段",
    "第一章",
    "第一条",
    "最佳食用期",
    "最佳赏味期",
    "best before",
)

#: Not letters or digits, yet part of a claim: never noise.
SIGNIFICANT = frozenset("%‰")


@functools.cache
def _traditional_to_simplified() -> Callable[[str], str]:
    """OpenCC loads its dictionaries on first use, so ``import closedloop`` stays light."""
    import opencc

    converter = opencc.OpenCC("t2s")
    return lambda text: str(converter.convert(text))


@functools.lru_cache(maxsize=1 << 16)
def _fold_char(char: str) -> str:
    """NFKC, case fold and t2s of one character, repeated until stable (薴 → 苧 → 苎)."""
    to_simplified = _traditional_to_simplified()
    folded = char
    while (
        step := "".join(
            part if part.isascii() else to_simplified(part)
            for part in unicodedata.normalize("NFKC", folded).casefold()
        )
    ) != folded:
        folded = step
    return folded


def _is_noise(char: str) -> bool:
    return unicodedata.category(char)[0] not in "LN" and char not in SIGNIFICANT


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


@attrs.frozen
class _Folded:
    """Copy folded character by character, with the way back to the original positions."""

    folds: tuple[str, ...]  # folds[i]: the folded form of the copy's character i
    skeleton: str  # folded, noise dropped: what terms are matched in
    source: tuple[int, ...]  # source[k]: index in the copy of the character skeleton[k] is of

    @classmethod
    def of(cls, copy: str) -> _Folded:
        folds = tuple(_fold_char(char) for char in copy)
        kept = [(char, i) for i, fold in enumerate(folds) for char in fold if not _is_noise(char)]
        return cls(folds, "".join(char for char, _ in kept), tuple(i for _, i in kept))

    def matches(self, term: str) -> Iterator[tuple[int, int]]:
        """Skeleton spans of ``term`` (a skeleton) that cover whole characters of the copy
        and, at Latin edges, stop at word boundaries."""
        start = self.skeleton.find(term)
        while start >= 0:
            end = start + len(term)
            if self._whole(start, end) and self._bounded(term, start, end):
                yield start, end
            start = self.skeleton.find(term, start + 1)

    def _whole(self, start: int, end: int) -> bool:
        """Never part of one character (the "i" of ﬁ)."""
        source = self.source
        starts = start == 0 or source[start - 1] != source[start]
        ends = end == len(source) or source[end] != source[end - 1]
        return starts and ends

    def _bounded(self, term: str, start: int, end: int) -> bool:
        first, last = self.span(start, end)
        before = first > 0 and _is_word_char(self.folds[first - 1][-1:])
        after = last < len(self.folds) and _is_word_char(self.folds[last][:1])
        return not (_is_word_char(term[0]) and before) and not (_is_word_char(term[-1]) and after)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The copy's span of the skeleton span ``[start, end)``."""
        return self.source[start], self.source[end - 1] + 1


def normalise(text: str) -> str:
    """The form copy and terms are compared in (idempotent): folded, noise dropped."""
    return _Folded.of(text).skeleton


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInput(f"a list of phrases is expected, not the single text {value!r}")
    return tuple(value)


@attrs.frozen
class Lexicon:
    """A versioned list of prohibited terms (China Advertising Law art. 9(3)).

    ``allowed`` lists phrases that contain a term but make no claim (第一次).
    """

    version: str
    terms: tuple[str, ...] = attrs.field(converter=_strings)
    allowed: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def __attrs_post_init__(self) -> None:
        _compiled(self)  # validates, and warms the cache


@attrs.frozen
class _Compiled:
    terms: tuple[tuple[str, str], ...]  # (term as written, its skeleton)
    allowed: tuple[str, ...]  # skeletons


@functools.lru_cache(maxsize=32)
def _compiled(lexicon: Lexicon) -> _Compiled:
    if not lexicon.version.strip():
        raise InvalidInput("a lexicon needs a version, so checks can say which one they passed")
    if not lexicon.terms:
        raise InvalidInput(f"lexicon {lexicon.version} has no terms")
    terms: dict[str, str] = {}
    for term in lexicon.terms:
        skeleton = normalise(term)
        if not skeleton:
            raise InvalidInput(f"lexicon term {term!r} has no letter or digit")
        if skeleton in terms:
            raise InvalidInput(
                f"lexicon terms {terms[skeleton]!r} and {term!r} are the same once normalised"
            )
        terms[skeleton] = term
    allowed = []
    for phrase in lexicon.allowed:
        skeleton = normalise(phrase)
        if not skeleton:
            raise InvalidInput(f"allowed phrase {phrase!r} has no letter or digit")
        if skeleton in terms:
            raise InvalidInput(f"allowed phrase {phrase!r} would switch off the term itself")
        allowed.append(skeleton)
    return _Compiled(tuple((term, skeleton) for skeleton, term in terms.items()), tuple(allowed))


@attrs.frozen
class Hit:
    """One prohibited term found: ``start``/``end`` index the original copy."""

    term: str
    start: int
    end: int
    excerpt: str


def _hits(value: Iterable[Hit]) -> tuple[Hit, ...]:
    return tuple(value)


@attrs.frozen
class CopyCheck:
    lexicon_version: str
    hits: tuple[Hit, ...] = attrs.field(converter=_hits)

    @property
    def clean(self) -> bool:
        """No prohibited term: launch needs no exemption."""
        return not self.hits


@attrs.frozen
class Evidence:
    """What makes an absolute claim provable: valid when, where, and from which source."""

    valid_from: date
    valid_until: date
    region: str
    source: str

    def __attrs_post_init__(self) -> None:
        require(
            self.valid_from <= self.valid_until,
            "R-A3",
            f"evidence must be limited in time: it cannot end ({self.valid_until}) "
            f"before it starts ({self.valid_from})",
        )
        require(bool(self.region.strip()), "R-A3", "evidence must name the region it holds in")
        require(bool(self.source.strip()), "R-A3", "evidence must name its source")

    def covers(self, day: date) -> bool:
        """The fact is proven on ``day``."""
        return self.valid_from <= day <= self.valid_until


def check_copy(text: str, lexicon: Lexicon) -> CopyCheck:
    """Every prohibited claim in ``text``: leftmost-longest, outside allowed phrases."""
    compiled = _compiled(lexicon)
    folded = _Folded.of(text)
    allowed = [span for phrase in compiled.allowed for span in folded.matches(phrase)]
    found = sorted(
        (start, -end, order, term)
        for order, (term, skeleton) in enumerate(compiled.terms)
        for start, end in folded.matches(skeleton)
        if not any(a <= start and end <= b for a, b in allowed)
    )
    hits = []
    reported_to = 0
    for start, negative_end, _, term in found:
        if start >= reported_to:
            reported_to = -negative_end
            first, last = folded.span(start, reported_to)
            hits.append(Hit(term, first, last, text[first:last]))
    return CopyCheck(lexicon.version, hits)
