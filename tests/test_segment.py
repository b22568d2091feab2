"""coaching.segment: jieba's prefix dictionary and part-of-speech table built in one pass,
sharing their strings (issue #22), equal to the tables jieba builds itself; the segmenter
cuts the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHECK = """
import jieba
from jieba.posseg import POSTokenizer
from coaching import segment

pseg = segment.posseg()
freq, tags = jieba.dt.FREQ, pseg.dt.word_tag_tab
own = jieba.Tokenizer()  # jieba's own loaders, on the same dict.txt
ref_freq, ref_total = own.gen_pfdict(own.get_dict_file())
ref = POSTokenizer.__new__(POSTokenizer)
ref.load_word_tag(own.get_dict_file())
assert freq == ref_freq and jieba.dt.total == ref_total, "FREQ differs"
assert tags == ref.word_tag_tab, "word_tag_tab differs"
ids = {id(k) for k in freq}
assert all(id(k) in ids for k in tags), "a tag-table word is a second string"
assert len({id(v) for v in tags.values()}) == len(set(tags.values())), "tags not shared"
assert segment.tokenizer() is jieba and jieba.dt.initialized
line = "客户王小明说明天还钱，欧阳娜娜住在北京市朝阳区"
print(list(pseg.cut(line)), list(jieba.tokenize(line)))
"""

_JIEBA = """
import jieba, jieba.posseg as pseg
jieba.dt.initialize()
line = "客户王小明说明天还钱，欧阳娜娜住在北京市朝阳区"
print(list(pseg.cut(line)), list(jieba.tokenize(line)))
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_shared_tables_equal_jiebas_own_and_cut_the_same() -> None:
    assert _run(_CHECK) == _run(_JIEBA)
