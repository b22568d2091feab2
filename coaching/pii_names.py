"""Personal-name detection for the redactor (Chinese and English).

Four signals, each kept narrow so ordinary words survive:
- names known from the case data (`known_names`, matched literally);
- honorific forms: surname + 先生/女士/小姐/太太, 老/小 + surname, 阿 + given name;
- jieba person tags (nr) for words the dictionary does not know as common words, and
  names after role words (客户, 债务人, 联系人 …);
- English titles (Mr/Ms/Mrs/Miss/Dr + capitalised name) and role words (debtor, Dear …).
"""

from __future__ import annotations

import re
from functools import lru_cache

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万覃"
    "武戴孔汤庞樊兰殷施洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂焦向柳邢骆岳齐梅莫庄辛管祝左涂谷祁"
    "舒耿卜詹关苗凌费纪靳盛童甄项曲游裴席卫屈鲍霍翁隋甘景包柏宁柯阮桂闵解柴冉房边饶戚丘米池滕"
    "邬臧宫苟褚娄穆党燕郎冀谈姬屠郜晏栾郁蒙喻窦迟敖鄢冷卓艾蓝仇乐虞卞竺佟栗匡宗巫鞠荆岑胥蔺"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "令狐", "慕容", "夏侯", "尉迟")
# For 老X / 小X only the most common surnames, minus characters that start everyday words.
_SHORT = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
    "潘蒋蔡杜叶程魏吕丁沈姚卢崔谭陆汪廖贾夏邹孟熊秦邱尹薛段雷侯史陶贺顾毛郝龚邵"
)
# Characters that do not occur in given names: a "name" holding one is a phrase (谢谢您, 王八蛋).
_NOT_GIVEN_CHARS = "您你我他她它们的了是在不也就都和吗呢吧啊么这那个蛋谢说要会能有没把被给"
_NOT_GIVEN = set(_NOT_GIVEN_CHARS)
_G = rf"(?:(?![{_NOT_GIVEN_CHARS}])[\u4e00-\u9fa5])"  # one possible given-name character
_A_NOT = set("姨里拉根富婆公伯妈爸哥姐嫂弥尔斯门胶联Q森")
_XIAO_NOT = set("时心区于钱金白高额孩朋吃说学组马")  # 小时, 小心, 小区, 小于, 小钱 …
_LAO_NOT = set("师板公婆家乡客人实百大天爸妈虎鼠")

_HON = re.compile(
    rf"(?:{'|'.join(COMPOUND)}|[{SURNAMES}]){_G}{{0,2}}?(?:先生|女士|小姐|太太|夫人)(?!们)"
)
# Surname + a form of address: 张大爷, 李阿姨, 王师傅, 刘总.
_ADDRESS_FORM = re.compile(
    rf"[{SURNAMES}](?:大爷|大妈|大叔|大婶|阿姨|叔叔|伯伯|大哥|大姐|师傅|老板|经理|主任|老师|总)(?!们)"
)
_LAO = re.compile(rf"老[{SURNAMES}]")
_XIAO = re.compile(rf"小[{_SHORT}]")
_A = re.compile(r"阿[\u4e00-\u9fa5]")
_ROLE = re.compile(
    r"(?:客户|债务人|借款人|联系人|户主|收件人|担保人|本人|姓名|名叫|叫做|名字是|老婆|老公|妻子|丈夫|"
    r"儿子|女儿|父亲|母亲|哥哥|姐姐|弟弟|妹妹|你好|您好|同事|员工)[:：是为]?"
    rf"((?:{'|'.join(COMPOUND)}|[{SURNAMES}]){_G}{{1,2}})"
)
_STOP_AFTER = set("的说和与是在把被给也都就又还已将欠本承诺留搬：，。、")
_EN_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Madam|Mme)\.?\s+[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)?"
)
_EN_ROLE = re.compile(
    r"\b(?:debtor|borrower|customer|client|guarantor|attention|Dear|named|called)\s+"
    r"([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
)
_EN_NOT = {"Sir", "Madam", "Customer", "Team", "All", "The", "Please", "Thank"}
_COMPOUND = re.compile(rf"(?:{'|'.join(c for c in COMPOUND if c != '东方')}){_G}{{1,2}}")
_NAME_NEXT = ("nr", "nz", "ns", "ng")
_PLACE_END = set("市区县省路街村镇州山河湖江岛港湾")


def _cjk(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fa5"


NOT_NAMES = {
    "张开",
    "许可",
    "陈述",
    "石家庄",
    "高兴",
    "王牌",
    "江湖",
    "黄金",
    "常规",
    "司法",
    "明天",
}


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    from coaching.segment import posseg  # jieba with its word tables sharing strings

    return posseg()


def _is_word(text: str, a: int, b: int) -> bool:
    """老X / 小X that is an everyday word (老实, 小时, 老黄牛) rather than a name."""
    freq = _jieba().dt.tokenizer.FREQ
    tags = _jieba().dt.word_tag_tab
    for end, floor in ((b, 1000), (b + 1, 10)):
        w = text[a:end]
        if end <= len(text) and freq.get(w, 0) > floor and not tags.get(w, "").startswith("nr"):
            return True
    return False


def _plausible(text: str, a: int, b: int) -> bool:
    """A Chinese name candidate that is not a phrase and does not start inside a word
    (养老金 holds 老金, but nobody is called that there)."""
    w = text[a:b]
    if any(c in _NOT_GIVEN for c in w[1:]):
        return False
    if w[0] in "老小阿" and a > 0 and _cjk(text[a - 1]):
        tk = _jieba().dt.tokenizer
        tokens = tk.tokenize(text[max(0, a - 3) : b])
        off = max(0, a - 3)
        freq = tk.FREQ
        for tok, ta, tb in tokens:
            if ta + off < a < tb + off and freq.get(tok):
                return False
    return True


def _trim_given(text: str, a: int, b: int) -> int:
    """Shorten a surname+given candidate that ran into a function word ("王强说" → "王强")."""
    while b - a > 2 and text[b - 1] in _STOP_AFTER:
        b -= 1
    return b


def _jieba_names(text: str) -> list[tuple[int, int]]:
    pseg = _jieba()
    freq = pseg.dt.tokenizer.FREQ if hasattr(pseg.dt, "tokenizer") else {}
    tags = pseg.dt.word_tag_tab
    out: list[tuple[int, int]] = []
    toks = [(t.word, t.flag) for t in pseg.cut(text)]
    starts = [0]
    for w, _ in toks:
        starts.append(starts[-1] + len(w))
    for i, (w, flag) in enumerate(toks):
        a, b = starts[i], starts[i + 1]
        nxt = toks[i + 1] if i + 1 < len(toks) else ("", "x")
        after = toks[i + 2] if i + 2 < len(toks) else ("", "x")
        # A surname split off its given name: 余/m 红梅/nr, 黄/nr 海洋/ns, 徐/nr 建春/vn.
        if len(w) == 1 and w in SURNAMES and 1 <= len(nxt[0]) <= 2 and all(map(_cjk, nxt[0])):
            rare = not freq.get(nxt[0]) or freq.get(nxt[0], 0) < 10
            if nxt[1].startswith(("nr", "nz")) or (
                flag == "nr" and (nxt[1].startswith(_NAME_NEXT) or rare)
            ):
                out.append((a, b + len(nxt[0])))
                continue
        if not 2 <= len(w) <= 4 or w in NOT_NAMES or not all(map(_cjk, w)):
            continue
        if not (w[0] in SURNAMES or w[:2] in COMPOUND):
            continue
        known = freq.get(w)
        if flag.startswith("ns"):
            # Unknown "place" words that start with a surname are mostly names (周国, 郑洋).
            if not known and len(w) <= 3 and w[-1] not in _PLACE_END:
                out.append((a, b))
            continue
        if not flag.startswith("nr"):
            continue
        rest = w[1:]
        if (
            len(rest) >= 2
            and freq.get(rest, 0) > 1000
            and not tags.get(rest, "").startswith(("nr", "ns"))
        ):
            continue  # 朱 + 红色: a surname character in front of a common word
        if not known or (tags.get(w, "").startswith("nr") and known < 100):
            # 袁涛/nr 刚/d ：→ the one-character tail before punctuation is the given name.
            if len(w) == 2 and len(nxt[0]) == 1 and _cjk(nxt[0]) and after[1] == "x":
                b += 1
            out.append((a, b))
    return out


def find_names(text: str, known: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for name in known:
        if len(name) >= 2:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(name), text)]
    spans += [(m.start(), m.end()) for m in _HON.finditer(text)]
    spans += [(m.start(), m.end()) for m in _ADDRESS_FORM.finditer(text)]
    for pat, stop in ((_LAO, _LAO_NOT), (_XIAO, _XIAO_NOT)):
        for m in pat.finditer(text):
            if m.group(0)[1] not in stop and not _is_word(text, m.start(), m.end()):
                spans.append((m.start(), m.end()))
    for m in _A.finditer(text):
        if m.group(0)[1] not in _A_NOT:
            spans.append((m.start(), m.end()))
    for m in _COMPOUND.finditer(text):
        spans.append((m.start(), _trim_given(text, m.start(), m.end())))
    for m in _ROLE.finditer(text):
        a = m.start(1)
        spans.append((a, _trim_given(text, a, m.end(1))))
    if re.search(r"[\u4e00-\u9fa5]", text):
        spans += _jieba_names(text)
    spans = [(a, b) for a, b in spans if _plausible(text, a, b)]
    spans += [(m.start(), m.end()) for m in _EN_TITLE.finditer(text)]
    for m in _EN_ROLE.finditer(text):
        if m.group(1).split()[0] not in _EN_NOT:
            spans.append((m.start(1), m.end(1)))
    return spans
