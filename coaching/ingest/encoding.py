"""Text encoding of CSV input: decide with confidence or refuse — never store mojibake.

Order: a forced encoding (`--encoding`, mapping `encoding:`); a BOM (UTF-8 / UTF-16) whose
whole file must then decode; strict UTF-8; otherwise detection with charset-normalizer
limited to the encodings collection-system exports really use (GB18030/GBK, Big5, cp1252).
Refused, with the offending line and column and an `--encoding` hint:
- a file that is partly UTF-8 and partly something else (one GBK line in a UTF-8 file);
- detection with a poor score, or two candidates that score alike but read differently;
- decoded text with private-use characters (GB18030's mapping of bytes that were not GBK).
Without the restriction a cp1252 file was read as cp775 and a UTF-8 file with one GBK line
as Shift-JIS, and names were stored garbled.
"""

from __future__ import annotations

from coaching.ingest.reader import InputError

# What an export from a Chinese or Indonesian collection system can plausibly be in.
CANDIDATES = ["gb18030", "big5", "cp1252"]
MAX_CHAOS = 0.10  # charset-normalizer's mess ratio above which we do not trust a guess
TIE = 0.03  # two candidates closer than this are ambiguous when they read differently
SAMPLE = 400_000
HINT = "save the file as UTF-8, or name its encoding with --encoding (e.g. gb18030, cp1252)"


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of `offset` in `data`."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def _fail(source: str, data: bytes, offset: int, why: str) -> InputError:
    line, col = position(data, offset)
    bad = data[offset : offset + 4]
    return InputError(
        f"{source}:{line}:{col}: {why} (bytes {bad!r}); {HINT}", line=line, column=f"byte {col}"
    )


def _strict(data: bytes, enc: str, source: str, skip: int = 0, why: str = "") -> str:
    try:
        return data[skip:].decode(enc)
    except UnicodeDecodeError as exc:
        raise _fail(source, data, skip + exc.start, why or f"not valid {enc}") from None
    except LookupError:
        raise InputError(f"{source}: unknown encoding {enc!r}; {HINT}") from None


def _mixed_line(data: bytes) -> int | None:
    """Offset of the first non-UTF-8 line when other lines hold real (multi-byte) UTF-8."""
    has_utf8 = False
    first_bad: int | None = None
    offset = 0
    for raw in data.splitlines(keepends=True):
        if not raw.isascii():
            try:
                raw.decode("utf-8")
                has_utf8 = True
            except UnicodeDecodeError as exc:
                if first_bad is None:
                    first_bad = offset + exc.start
        offset += len(raw)
        if has_utf8 and first_bad is not None:
            return first_bad
    return None


def _plain_gbk(data: bytes) -> bool:
    """Nearly every CJK character, read as GB18030, is a common simplified one (GB2312).

    Big5 text read as GB18030 lands mostly outside GB2312 (Big5 trail bytes 0x40–0x7E are
    GBK-extension characters), so this separates a GBK file from a Big5 one."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not cjk:
        return False
    common = 0
    for ch in cjk:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(cjk) >= 0.9


def _private_use(text: str) -> int | None:
    for i, ch in enumerate(text):
        if "\ue000" <= ch <= "\uf8ff":
            return i
    return None


def decode_text(data: bytes, source: str, forced: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with; InputError when unsure."""
    if forced:
        enc = forced.strip().lower()
        skip = (
            3
            if enc.replace("-", "").replace("_", "") in {"utf8", "utf8sig"}
            and data.startswith(b"\xef\xbb\xbf")
            else 0
        )
        return _strict(data, enc, source, skip), forced
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(
            data, "utf-8", source, 3, "the file starts with a UTF-8 BOM but this is not UTF-8"
        )
        return text, "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", source), "utf-16"
    nul = data.find(b"\x00")
    if nul >= 0:  # text encodings we accept never contain NUL: binary, or UTF-16 sans BOM
        raise _fail(source, data, nul, "a NUL byte — this is not a text CSV")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    mixed = _mixed_line(data)
    if mixed is not None:
        raise _fail(source, data, mixed, "mixed encodings: this line is not UTF-8 but others are")
    from charset_normalizer import from_bytes

    sample = data[:SAMPLE]
    matches = [m for m in from_bytes(sample, cp_isolation=CANDIDATES) if m.encoding]
    if not matches:
        raise _fail(source, data, first_bad, "cannot tell the text encoding")
    best = matches[0]
    if best.chaos > MAX_CHAOS:
        raise _fail(
            source,
            data,
            first_bad,
            f"unsure of the text encoding (best guess {best.encoding}, "
            f"{round(best.chaos * 100)}% of it looks garbled)",
        )
    enc = best.encoding
    for other in matches[1:]:
        if other.chaos - best.chaos < TIE and str(other) != str(best):
            if {enc, other.encoding} == {"gb18030", "big5"} and _plain_gbk(data):
                enc = "gb18030"  # a short GBK file often also parses as Big5: see _plain_gbk
                continue
            raise _fail(
                source,
                data,
                first_bad,
                f"ambiguous text encoding ({enc} or {other.encoding} read it differently)",
            )
    text = _strict(data, enc, source)
    pua = _private_use(text)
    if pua is not None:
        raise _fail(
            source,
            data,
            len(text[:pua].encode(enc, errors="replace")),
            f"bytes that are not text in {enc}",
        )
    return text, enc
