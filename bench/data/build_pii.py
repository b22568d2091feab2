"""Builds bench/data/pii_eval.jsonl: labelled PII lines (zh + en) for `bench/pii_eval.py`.

Each line: {"id", "lang", "text", "pii": [{"start", "end", "kind", "form"}], "keep": [...]}.
`pii` spans must be redacted; `keep` spans (amounts, dates, times, percentages, reference
numbers, look-alike words) must survive verbatim. Sentences are hand-written frames; the
values are generated in every written form (seeded, so the file is reproducible):

    .venv/bin/python bench/data/build_pii.py
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).with_name("pii_eval.jsonl")
R = random.Random(20261206)

_ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
FW = str.maketrans("0123456789-", "０１２３４５６７８９－")
CN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


def d(n: int) -> str:
    return "".join(R.choice("0123456789") for _ in range(n))


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        x = int(ch) * (2 if i % 2 == 0 else 1)
        total += x - 9 if x > 9 else x
    return body + str((10 - total % 10) % 10)


# --- PII value makers: each returns (text, form) ------------------------------------------


def mobile() -> str:
    return "1" + R.choice("3456789") + d(9)


def phone() -> tuple[str, str]:
    m = mobile()
    forms: dict[str, Callable[[], str]] = {
        "plain": lambda: m,
        "spaced": lambda: f"{m[:3]} {m[3:7]} {m[7:]}",
        "dashed": lambda: f"{m[:3]}-{m[3:7]}-{m[7:]}",
        "dotted": lambda: f"{m[:3]}.{m[3:7]}.{m[7:]}",
        "plus86": lambda: f"+86{m}",
        "plus86_spaced": lambda: f"+86 {m[:3]} {m[3:7]} {m[7:]}",
        "86_dash": lambda: f"86-{m}",
        "bracket86": lambda: f"(+86) {m}",
        "fullwidth": lambda: m.translate(FW),
        "fullwidth_dashed": lambda: f"{m[:3]}-{m[3:7]}-{m[7:]}".translate(FW),
        "cn_numerals": lambda: "".join(CN[c] for c in m),
        "cn_numerals_yao": lambda: "".join(CN[c] for c in m).replace("一", "幺"),
        "split_34": lambda: f"{m[:3]} {m[3:]}",
        "id_mobile": lambda: f"+62 812-{d(4)}-{d(4)}",
        "id_local": lambda: f"0812{d(8)}",
    }
    f = R.choice(list(forms))
    return forms[f](), f


def landline() -> tuple[str, str]:
    area = R.choice(["010", "021", "020", "0755", "0571", "028", "0731", "022"])
    local = R.choice("2345678") + d(7 if len(area) == 3 else R.choice([6, 7]))
    forms = {
        "dash": f"{area}-{local}",
        "bracket": f"({area}){local}",
        "cn_bracket": f"（{area}）{local}",
        "spaced": f"{area} {local[:4]} {local[4:]}",
        "plain": f"{area}{local}",
        "plus86": f"+86 {area[1:]} {local}",
        "ext": f"{area}-{local}转{d(3)}",
        "jakarta": f"(021) {d(4)}-{d(4)}" if area == "021" else f"{area}-{local}",
    }
    f = R.choice(list(forms))
    return forms[f], f


def id_number() -> tuple[str, str]:
    region = R.choice(["110105", "310104", "440305", "330106", "510107", "420102", "320581"])
    y, mo, da = R.randint(1955, 2004), R.randint(1, 12), R.randint(1, 28)
    first = f"{region}{y:04d}{mo:02d}{da:02d}{d(3)}"
    total = sum(int(c) * w for c, w in zip(first, _ID_W, strict=True))
    full = first + "10X98765432"[total % 11]
    forms = {
        "plain": full,
        "spaced_6_8_4": f"{full[:6]} {full[6:14]} {full[14:]}",
        "lower_x": full.lower(),
        "fullwidth": full.translate(FW),
        "old15": f"{region}{y % 100:02d}{mo:02d}{da:02d}{d(3)}",
        "dashed": f"{full[:6]}-{full[6:14]}-{full[14:]}",
    }
    f = R.choice(list(forms))
    return forms[f], f


def card() -> tuple[str, str]:
    n = R.choice([16, 16, 19, 19, 15])
    prefix = R.choice(["6222", "6217", "6228", "4367", "6225", "5187", "6214"])
    num = luhn_complete(prefix + d(n - 5))
    forms = {
        "plain": num,
        "spaced4": " ".join(num[i : i + 4] for i in range(0, n, 4)),
        "dashed4": "-".join(num[i : i + 4] for i in range(0, n, 4)),
        "fullwidth": num.translate(FW),
    }
    f = R.choice(list(forms))
    return forms[f], f


def email() -> tuple[str, str]:
    user = R.choice(["wang.li", "zhangsan88", "li_na", "chen.jun2020", "a.b-c", "tony.w", "xm1990"])
    dom = R.choice(["qq.com", "163.com", "gmail.com", "example.com.cn", "sina.cn", "corp.co.id"])
    return f"{user}@{dom}", "plain"


def qq() -> tuple[str, str]:
    return str(R.randint(10000, 3999999999)), "digits"


def wechat() -> tuple[str, str]:
    f = R.choice(["wxid", "handle", "phone_like", "mixed"])
    if f == "wxid":
        return "wxid_" + "".join(
            R.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(12)
        ), f
    if f == "phone_like":
        return mobile(), f
    base = R.choice(["zhang_san", "LiNa", "wang-jian", "chen88", "xiaoyu_2021", "tianTian"])
    return base + (d(2) if f == "mixed" else ""), f


def plate() -> tuple[str, str]:
    prov = R.choice("京沪粤浙苏川鄂湘鲁豫闽")
    letter = R.choice("ABCDEFGH")
    f = R.choice(["plain", "dot", "spaced", "new_energy"])
    tail = list(d(5))
    for i in R.sample(range(5), R.choice([0, 1, 2])):
        tail[i] = R.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
    tail = "".join(tail)
    if f == "new_energy":
        return f"{prov}{letter}{R.choice('DF')}{d(5)}", f
    if f == "dot":
        return f"{prov}{letter}·{tail}", f
    if f == "spaced":
        return f"{prov}{letter} {tail}", f
    return f"{prov}{letter}{tail}", f


ADDR_ZH = [
    ("北京市朝阳区建国路{n}号", "city_district_street"),
    ("广东省深圳市南山区科技园南区{n}栋{u}单元{r}室", "full"),
    ("上海市浦东新区张江路{n}弄{u}号{r}室", "full"),
    ("杭州市西湖区文三路{n}号", "city_district_street"),
    ("成都市武侯区人民南路四段{n}号", "city_district_street"),
    ("湖南省长沙市岳麓区麓山南路{n}号", "full"),
    ("阳光小区{n}号楼{u}单元{r}", "estate_building"),
    ("幸福花园{u}栋{r}室", "estate_building"),
    ("江苏省苏州市工业园区星湖街{n}号", "full"),
    ("海淀区中关村大街{n}号", "district_street"),
    ("天河区体育西路{n}号{r}房", "district_street"),
    ("河南省郑州市金水区花园路{n}号院{u}号楼", "full"),
    ("新华村{u}组{n}号", "village"),
    ("武汉市江汉区解放大道{n}号", "city_district_street"),
    ("中山路{n}号", "street_only"),
    ("福田区华强北路{n}号{u}楼", "district_street"),
]
ADDR_EN = [
    ("Room {r}, No. {n} Keji Road, Nanshan District, Shenzhen", "en_full"),
    ("{n} Jianguo Road, Chaoyang District, Beijing", "en_street"),
    ("Jl. Sudirman No. {n}, Jakarta", "en_id"),
    ("Flat {r}, {n} Zhongshan Road", "en_flat"),
    ("{n} Baker Street, London", "en_street"),
]


def address(lang: str) -> tuple[str, str]:
    tpl, f = R.choice(ADDR_ZH if lang == "zh" else ADDR_EN)
    return tpl.format(n=R.randint(1, 999), u=R.randint(1, 9), r=R.randint(101, 2505)), f


SURN = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶")
SURN2 = ["欧阳", "司马", "诸葛", "上官"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕玉兰春梅文斌晓东鹏飞")
EN_SUR = ["Zhang", "Wang", "Li", "Chen", "Smith", "Johnson", "Brown", "Lee", "Tan", "Wong"]
EN_GIV = ["John", "Mary", "David", "Linda", "Kevin", "Grace", "Budi", "Siti", "Peter", "Anna"]


def name(lang: str) -> tuple[str, str]:
    if lang == "en":
        f = R.choice(["mr", "ms", "mrs", "dr", "full_title", "pinyin_full"])
        s, g = R.choice(EN_SUR), R.choice(EN_GIV)
        return {
            "mr": f"Mr. {s}",
            "ms": f"Ms {s}",
            "mrs": f"Mrs. {s}",
            "dr": f"Dr. {s}",
            "full_title": f"Mr {g} {s}",
            "pinyin_full": f"Ms. {s} {g}",
        }[f], f
    s = R.choice(SURN)
    g = "".join(R.choice(GIVEN) for _ in range(R.choice([1, 2, 2])))
    f = R.choice(["full", "full", "compound", "xiansheng", "nvshi", "xiaojie", "lao", "a"])
    return {
        "full": s + g,
        "compound": R.choice(SURN2) + g,
        "xiansheng": s + "先生",
        "nvshi": s + "女士",
        "xiaojie": s + "小姐",
        "lao": "老" + s,
        "a": "阿" + R.choice(GIVEN),
    }[f], f


# --- values that must survive -------------------------------------------------------------


def keep_value(kind: str) -> str:
    if kind == "amount":
        return R.choice(
            [
                f"{R.randint(10, 999)},{R.randint(100, 999)}.{R.randint(10, 99)}元",
                f"¥{R.randint(1, 99)},{R.randint(100, 999)},{R.randint(100, 999)}",
                f"{R.randint(1000, 99999)}元",
                f"RMB {R.randint(1, 999)},{R.randint(100, 999)}.00",
                f"{R.randint(1, 99)}.{R.randint(1, 9)}万元",
                f"{R.randint(10, 99)},{R.randint(100, 999)}.{R.randint(10, 99)}",
                f"Rp {R.randint(1, 99)}.{R.randint(100, 999)}.000",
                f"{R.randint(100000, 9999999)}元",
            ]
        )
    if kind == "date":
        y, m, dd = R.randint(2023, 2027), R.randint(1, 12), R.randint(1, 28)
        return R.choice(
            [
                f"{y}-{m:02d}-{dd:02d}",
                f"{y}/{m}/{dd}",
                f"{y}年{m}月{dd}日",
                f"{m}月{dd}号",
                f"{y}.{m:02d}.{dd:02d}",
                f"{dd:02d}/{m:02d}/{y}",
                f"{y}{m:02d}{dd:02d}",
            ]
        )
    if kind == "datetime":
        y, m, dd = R.randint(2023, 2027), R.randint(1, 12), R.randint(1, 28)
        hh, mm, ss = R.randint(0, 23), R.randint(0, 59), R.randint(0, 59)
        return R.choice(
            [
                f"{y}-{m:02d}-{dd:02d} {hh:02d}:{mm:02d}:{ss:02d}",
                f"{y}-{m:02d}-{dd:02d}T{hh:02d}:{mm:02d}",
                f"{y}/{m:02d}/{dd:02d} {hh:02d}:{mm:02d}",
                f"{y}年{m}月{dd}日 {hh}:{mm:02d}",
            ]
        )
    if kind == "time":
        return R.choice([f"{R.randint(8, 20)}:{R.randint(0, 59):02d}", f"下午{R.randint(1, 6)}点"])
    if kind == "percent":
        return R.choice([f"{R.randint(1, 99)}.{R.randint(1, 9)}%", f"{R.randint(1, 100)}%"])
    if kind == "ref":
        return R.choice(
            [
                f"CASE-{R.randint(2023, 2027)}-{d(6)}",
                f"AJ{R.randint(2023, 2027)}{d(8)}",
                f"CALL-{R.randint(2023, 2027)}{d(4)}-{d(4)}",
                f"QA-{R.randint(2023, 2027)}-{d(4)}",
                f"HT{d(12)}",
                f"C{d(10)}",
                f"LS{d(16)}",
                f"{R.randint(2023, 2027)}{d(10)}",
            ]
        )
    if kind == "count":
        return str(R.randint(1, 400))
    raise KeyError(kind)


REF_WORDS = ["案件号", "案件编号", "通话编号", "质检单号", "合同号", "工单号", "流水号", "借据号"]
REF_WORDS_EN = ["case ref", "call ID", "QA ticket", "contract no.", "ticket"]
LOOKALIKE = [
    "王牌",
    "高兴",
    "张开",
    "明天",
    "老师",
    "阿姨",
    "先生们",
    "女士们",
    "黄金周",
    "白天",
    "周末",
    "马上",
    "林业局",
    "石家庄",
    "方便",
    "金额",
    "司法程序",
    "公安机关",
    "法院",
    "老板",
    "老客户",
    "阿里巴巴",
    "常规",
    "许可",
    "陈述",
    "江湖",
    "朱红色",
]

# Frames: {slot} placeholders; slots name a PII maker or a keep kind.
ZH_FRAMES = [
    "客户{name}的手机是{phone}，欠款{amount}，请在{date}前跟进。",
    "{name}说换号了，新号码{phone}，案件号{ref}。",
    "请联系{name}，电话{phone}，逾期{count}天。",
    "债务人{name}，身份证号{id}，卡号{card}。",
    "身份证{id}核对无误，本期应还{amount}。",
    "他的银行卡是{card}，{datetime}已扣款失败。",
    "邮箱{email}，请把还款计划发过去，利率{percent}。",
    "{name}留了邮箱{email}和座机{landline}。",
    "加我QQ{qq}，{time}以后再聊。",
    "他的QQ号是{qq}，案件编号{ref}。",
    "微信号：{wechat}，约好{date}还{amount}。",
    "我加了他微信{wechat}，他说{date}能还一部分。",
    "车牌{plate}的那辆车是{name}的。",
    "他开一辆{plate}，停在{address}。",
    "现住址：{address}，户主{name}。",
    "上门地址是{address}，联系电话{phone}。",
    "{name}搬到{address}了，单位电话{landline}。",
    "座机{landline}一直没人接，{datetime}再打。",
    "{name}承诺{date}还{amount}，已还{percent}。",
    "质检单号{ref}：{name}在通话中报了手机{phone}。",
    "通话编号{ref}，时长{count}分钟，对方是{name}。",
    "{name}的家人说他在{address}上班。",
    "合同号{ref}，借款人{name}，身份证{id}。",
    "紧急联系人{name}，手机{phone}。",
    "他报的号码是{phone}，不是{phone}。",
    "{name}：卡号{card}，开户行在{address}。",
    "截至{date}，{name}累计还款{amount}，剩余{amount}。",
    "分{count}期，每期{amount}，首期{date}，年化{percent}。",
    "请于{datetime}前回电，案件号{ref}，金额{amount}。",
    "{name}和{name}是同一个案子的担保人。",
    "你好{name}，我是专员，今天{time}给您来电。",
    "他老婆{name}的微信是{wechat}，QQ是{qq}。",
    "把材料寄到{address}，收件人{name}，电话{phone}。",
    "这是{name}的车，车牌号{plate}，{date}被拖走。",
    "员工反馈：{lookalike}，客户{name}态度还行。",
    "{lookalike}的事{date}再说，欠款{amount}不变。",
    "每月{count}号扣款，上次{datetime}扣了{amount}。",
    "逾期{count}天，罚息{percent}，合计{amount}。",
    "工单号{ref}已关闭，{lookalike}。",
    "{name}本人确认手机尾号是{count}，全号{phone}。",
]
EN_FRAMES = [
    "Please call {name} on {phone} before {date}; the balance is {amount}.",
    "{name} gave a new number, {phone}, case ref {ref}.",
    "The debtor {name} lives at {address}.",
    "ID number {id}, card {card}, overdue {count} days.",
    "Send the plan to {email} by {datetime}.",
    "You can reach {name} at {email} or {landline}.",
    "His QQ is {qq} and WeChat ID {wechat}.",
    "Add me on WeChat: {wechat}, after {time}.",
    "The car with plate {plate} belongs to {name}.",
    "Call ID {ref}: {name} read out the card number {card}.",
    "{name} promised {amount} on {date}, that is {percent} of the debt.",
    "QA ticket {ref} flagged the call at {datetime}.",
    "Her office number is {landline}, mobile {phone}.",
    "Mail the letter to {address}, attention {name}.",
    "Instalment {count} of 12 is {amount}, due {date}, rate {percent}.",
    "{lookalike} aside, {name} said the total is {amount}.",
    "Contract no. {ref}, borrower {name}, ID {id}.",
    "Dear {name}, your payment of {amount} was received on {date}.",
    "He texted from {phone} at {time}.",
    "Email me at {email} please.",
]

PII_MAKERS: dict[str, Callable[[str], tuple[str, str]]] = {
    "name": name,
    "phone": lambda lang: phone(),
    "landline": lambda lang: landline(),
    "id": lambda lang: id_number(),
    "card": lambda lang: card(),
    "email": lambda lang: email(),
    "qq": lambda lang: qq(),
    "wechat": lambda lang: wechat(),
    "plate": lambda lang: plate(),
    "address": address,
}
KEEP_KINDS = {"amount", "date", "datetime", "time", "percent", "ref", "count"}


def render(frame: str, lang: str) -> dict:
    text, pii, keep = "", [], []
    i = 0
    while i < len(frame):
        if frame[i] == "{":
            j = frame.index("}", i)
            slot = frame[i + 1 : j]
            start = len(text)
            if slot in PII_MAKERS:
                val, form = PII_MAKERS[slot](lang)
                kind = "phone" if slot == "landline" else slot
                form = f"landline_{form}" if slot == "landline" else form
                text += val
                pii.append({"start": start, "end": len(text), "kind": kind, "form": form})
            elif slot == "lookalike":
                text += R.choice(LOOKALIKE)
                keep.append({"start": start, "end": len(text), "kind": "word"})
            else:
                text += keep_value(slot)
                keep.append({"start": start, "end": len(text), "kind": slot})
            i = j + 1
        else:
            text += frame[i]
            i += 1
    return {"lang": lang, "text": text, "pii": pii, "keep": keep}


# Lines with nothing to redact: numbers and words that look like PII but are not.
NEG_ZH = [
    "本月回款{amount}，同比增长{percent}，{lookalike}。",
    "{date}的{count}通电话里有{count}通接通，质检单号{ref}。",
    "{datetime}系统批量扣款{amount}，失败{count}笔。",
    "案件编号{ref}和{ref}合并处理，总额{amount}。",
    "分{count}期还，每期{amount}，最后一期{date}。",
    "{lookalike}！今天{time}开会，{lookalike}也参加。",
    "通话编号{ref}，{datetime}开始，{count}秒后挂断。",
    "回款率{percent}，目标{percent}，差{amount}。",
    "工号{count}的同事{date}请假。",
    "我们{lookalike}在{date}讨论了{count}个案子。",
]
NEG_EN = [
    "Collections reached {amount} on {date}, up {percent}.",
    "Case ref {ref} was merged with {ref}; total {amount}.",
    "At {datetime} the batch run charged {count} accounts {amount} in total.",
    "Call ID {ref} lasted {count} seconds, QA ticket {ref}.",
    "{lookalike} said the meeting is at {time} on {date}.",
]


def main() -> None:
    rows = []
    for _ in range(9):
        rows += [render(f, "zh") for f in ZH_FRAMES]
    for _ in range(4):
        rows += [render(f, "en") for f in EN_FRAMES]
    for _ in range(5):
        rows += [render(f, "zh") for f in NEG_ZH]
        rows += [render(f, "en") for f in NEG_EN]
    with OUT.open("w", encoding="utf-8") as fh:
        for n, r in enumerate(rows, 1):
            fh.write(json.dumps({"id": f"p{n:04d}", **r}, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(rows)} lines, {sum(len(r['pii']) for r in rows)} PII spans")


if __name__ == "__main__":
    main()
