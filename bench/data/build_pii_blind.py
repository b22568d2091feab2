"""Builds bench/data/pii_blind.jsonl: a second PII set written blind (after the redactor,
free phrasing, marked inline) and measured once before any tuning; see docs/privacy-quality.md.

Markup: [[kind|text]] is PII to redact, {{kind|text}} must survive."""

import json
import re
from pathlib import Path

LINES = [
    "[[name|赵丽颖]]女士上周在电话里说她换了号，新号是[[phone|159-2233-4455]]。",
    "借款人[[name|孙建华]]（身份证[[id|320102198507124416]]）{{date|3月8日}}承诺还{{amount|5,000元}}。",
    "我刚跟[[name|老韩]]通完电话，他说{{time|明早9点}}前打款。",
    "麻烦核实一下[[name|周先生]]的银行卡[[card|6217 0012 3456 7890]]是否还在用。",
    "对方邮箱是[[email|zhoujie_1988@163.com]]，已发送还款通知。",
    "他留的联系方式：QQ [[qq|845123678]]，微信 [[wechat|zj_happy2020]]。",
    "车辆信息：[[plate|沪A·8K2L7]]，登记在[[name|林晓峰]]名下。",
    "家庭住址为[[address|浙江省杭州市余杭区文一西路969号]]。",
    "[[name|Mrs. Tan]] said she will transfer {{amount|RMB 3,200}} on {{date|2026-04-01}}.",
    "Contact [[name|Mr. Budi Santoso]] at [[phone|+62 813 9876 5432]] or "
    "[[email|budi.s@mail.co.id]].",
    "He lives at [[address|Flat 12B, 88 Nathan Road]], case {{ref|CASE-2026-004512}}.",
    "客户说他的手机号是[[phone|一五八 六六七七 八八九九]]，让我们别打座机。",
    "座机号码[[phone|0755-86001234]]，分机不详。",
    "[[name|阿强]]是债务人的表弟，不愿透露更多。",
    "质检单{{ref|QA-2026-1187}}：坐席报出了客户全名[[name|黄志明]]和卡号后四位{{count|4321}}。",
    "通话{{ref|CALL-20260402-0017}}时长{{count|312}}秒，客户[[name|陈女士]]情绪激动。",
    "本金{{amount|23,456.78}}元，罚息{{amount|1,234.50}}元，合计应还{{amount|24,691.28}}元。",
    "{{datetime|2026-04-02 10:15:30}}系统自动扣款失败，原因：余额不足。",
    "回款率从{{percent|35.2%}}提升到{{percent|41.8%}}，环比增长{{percent|6.6%}}。",
    "{{ref|AJ2026040200158}}号案件已结案，{{ref|AJ2026040200159}}号待跟进。",
    "他说他住在[[address|朝阳区望京SOHO塔3 1508室]]附近。",
    "把催收函寄到[[address|广州市天河区珠江新城华夏路10号]]，收件人[[name|刘德明]]。",
    "电话[[phone|(020) 3888 6677]]是他公司的前台。",
    "[[name|欧阳修文]]的紧急联系人是他妻子，手机[[phone|+86 186 0000 1111]]。",
    "wx：[[wechat|liuxm_0921]]，他说白天不方便接电话。",
    "客户的QQ邮箱[[email|12345678@qq.com]]已失效。",
    "身份证号码[[id|44030519900101123X]]，核对一致。",
    "工号{{count|1024}}的同事今天请假，案件{{ref|C20260402}}转给我。",
    "{{date|2026年4月15日}}前需还清{{amount|12万元}}，否则按合同处理。",
    "她开的车牌号是[[plate|粤B D88888]]，经常停在公司楼下。",
    "[[name|Ms. Siti Rahma]] can be reached on WhatsApp [[phone|0812-3456-7890]].",
    "Please update the address to [[address|No. 7 Jalan Merdeka, Bandung]].",
    "Payment of {{amount|IDR 2.500.000}} received at {{time|14:05}} on {{date|02/04/2026}}.",
    "Ticket {{ref|QA-2026-0456}}: agent read out card [[card|4367 4200 1234 5678]] in full.",
    "[[name|张大爷]]说他儿子[[name|张小军]]在外地打工。",
    "核对信息：姓名[[name|吴芳]]，电话[[phone|177 0123 4567]]，"
    "地址[[address|成都市锦江区春熙路18号]]。",
    "他的卡号是[[card|6228480402564890018]]，开户行是农行。",
    "分{{count|12}}期，每期{{amount|1,580元}}，首期{{date|5月1日}}。",
    "{{date|周三}}下午再联系[[name|马先生]]确认还款。",
    "逾期{{count|95}}天，属于M3阶段，金额{{amount|¥8,800.00}}。",
]


def parse(line: str) -> dict:
    text, pii, keep, pos = "", [], [], 0
    for m in re.finditer(r"\[\[(\w+)\|(.+?)\]\]|\{\{(\w+)\|(.+?)\}\}", line):
        text += line[pos : m.start()]
        kind, val = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        span = {"start": len(text), "end": len(text) + len(val), "kind": kind}
        text += val
        (pii if m.group(1) else keep).append({**span, "form": "blind"} if m.group(1) else span)
        pos = m.end()
    text += line[pos:]
    lang = "en" if text.isascii() else "zh"
    return {"lang": lang, "text": text, "pii": pii, "keep": keep}


def main() -> None:
    out = Path(__file__).with_name("pii_blind.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for n, line in enumerate(LINES, 1):
            f.write(json.dumps({"id": f"pb{n:03d}", **parse(line)}, ensure_ascii=False) + "\n")
    print(f"{out}: {len(LINES)} lines")


if __name__ == "__main__":
    main()
