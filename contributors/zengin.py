"""全銀協 総合振込 (Zengin general transfer) file: build and parse.

Pure Python, no Django.

File layout
-----------
One header record (data type ``1``), one data record (``2``) per payee, one
trailer record (``8``) and one end record (``9``).  Every record is exactly
120 bytes, encoded in Shift_JIS (JIS X 0201 half-width: one byte per
character).  By default each record is followed by CRLF, so a record is
122 bytes on disk; **the 120 count excludes the CRLF**.  Pass
``line_ending=b""`` for the unbroken 120-byte-record stream some banks want.
No EOF (0x1A) byte is written.

Fields: ``N`` = digits, right-aligned, zero-padded; ``C`` = Zengin half-width
characters (see :func:`contributors.banking.to_zengin_kana`), left-aligned,
space-padded.  Offsets below are 0-based byte offsets, ``[start:end)``.

Header (1)::

    [  0:  1) N1  データ区分         "1"
    [  1:  3) N2  種別コード         "21" (総合振込)
    [  3:  4) N1  コード区分         "0" (JIS / Shift_JIS)
    [  4: 14) N10 振込依頼人コード   requester (委託者) code assigned by the bank
    [ 14: 54) C40 振込依頼人名       payer name, truncated to 40
    [ 54: 58) N4  振込指定日         MMDD
    [ 58: 62) N4  仕向銀行番号       payer bank code
    [ 62: 77) C15 仕向銀行名         payer bank name, truncated to 15
    [ 77: 80) N3  仕向支店番号       payer branch code
    [ 80: 95) C15 仕向支店名         payer branch name, truncated to 15
    [ 95: 96) N1  預金種目(依頼人)   1 普通 / 2 当座 (4 貯蓄 refused)
    [ 96:103) N7  口座番号(依頼人)
    [103:120) C17 ダミー             spaces

Data (2)::

    [  0:  1) N1  データ区分         "2"
    [  1:  5) N4  被仕向銀行番号
    [  5: 20) C15 被仕向銀行名       truncated to 15
    [ 20: 23) N3  被仕向支店番号
    [ 23: 38) C15 被仕向支店名       truncated to 15
    [ 38: 42) N4  手形交換所番号     unused: 4 spaces
    [ 42: 43) N1  預金種目           1 普通 / 2 当座 / 4 貯蓄
    [ 43: 50) N7  口座番号
    [ 50: 80) C30 受取人名           truncated to 30 (banks do the same)
    [ 80: 90) N10 振込金額           1 .. 9,999,999,999
    [ 90: 91) N1  新規コード         "0" (その他)
    [ 91:101) N10 顧客コード1        customer_code, or spaces   } or, when 識別表示 = "Y",
    [101:111) N10 顧客コード2        spaces                     } [91:111) C20 EDI情報
    [111:112) N1  振込指定区分       "7" (電信扱)
    [112:113) C1  識別表示           "Y" with EDI information, else space
    [113:120) C7  ダミー             spaces

Trailer (8)::

    [  0:  1) N1  データ区分         "8"
    [  1:  7) N6  合計件数           number of data records
    [  7: 19) N12 合計金額           sum of 振込金額
    [ 19:120) C101 ダミー            spaces

End (9)::

    [  0:  1) N1  データ区分         "9"
    [  1:120) C119 ダミー            spaces

Names longer than their field (受取人名 30, 依頼人名 40, bank and branch names
15) are **truncated** to the field width, as banks do; the cut is by character
(= byte), so a voiced mark ﾞ/ﾟ may be cut off the last letter.  EDI
information longer than 20 characters and customer codes longer than 10 digits
are refused instead (they carry reconciliation data that must not be lost).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from contributors.banking import BankAccount, to_zengin_kana

__all__ = [
    "ENCODING",
    "MAX_AMOUNT",
    "RECORD_LENGTH",
    "Payer",
    "Transfer",
    "ZenginFormatError",
    "parse_zengin",
    "zengin_transfer_file",
]

RECORD_LENGTH = 120
ENCODING = "shift_jis"
CRLF = b"\r\n"
#: 振込金額 is N(10).
MAX_AMOUNT = 9_999_999_999
#: 合計金額 is N(12), 合計件数 N(6).
MAX_TOTAL = 999_999_999_999
MAX_COUNT = 999_999

KIND_GENERAL_TRANSFER = "21"  # 総合振込
CODE_DIVISION_JIS = "0"
NEW_CODE_OTHER = "0"  # 新規コード: 0 その他 (1 第1回振込分, 2 変更分)
TRANSFER_KIND_TELEGRAPHIC = "7"  # 振込指定区分: 7 電信扱 (8 文書扱)
EDI_FLAG = "Y"


class ZenginFormatError(ValueError):
    """The data cannot be written as (or read from) a Zengin file."""


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int number of yen, got {type(amount).__name__}: {amount!r}")
    if amount <= 0:
        raise ZenginFormatError(f"Transfer amount must be greater than 0 yen, got {amount}.")
    if amount > MAX_AMOUNT:
        raise ZenginFormatError(f"Transfer amount must be at most {MAX_AMOUNT:,} yen, got {amount:,}.")
    return amount


@dataclass(frozen=True)
class Payer:
    """The paying company (振込依頼人) and the account the money leaves from."""

    requester_code: str  # 振込依頼人コード (委託者コード) given by the bank, up to 10 digits
    name_kana: str  # 振込依頼人名, converted to Zengin kana; truncated to 40
    account: BankAccount  # 仕向銀行/支店/預金種目/口座番号 (holder_kana is not written)


@dataclass(frozen=True)
class Transfer:
    """One payment to one account.

    *customer_code* (顧客コード1) is up to 10 digits, for the payer's own
    reconciliation.  *edi_info* (up to 20 Zengin characters) is passed on to
    the payee's bank as EDI information; give one or the other, not both.
    """

    account: BankAccount
    amount: int  # yen, 1 .. 9,999,999,999
    customer_code: str = ""
    edi_info: str = ""

    def __post_init__(self) -> None:
        _check_amount(self.amount)
        if self.customer_code and not (
            self.customer_code.isascii() and self.customer_code.isdigit() and len(self.customer_code) <= 10
        ):
            raise ZenginFormatError(f"Customer code must be 1 to 10 digits, got {self.customer_code!r}.")
        if self.customer_code and self.edi_info:
            raise ZenginFormatError("A transfer carries either a customer code or EDI information, not both.")


# ---------------------------------------------------------------------------
# field formatting
# ---------------------------------------------------------------------------


def _num(value: int | str, width: int, what: str) -> str:
    s = str(value)
    if not (s.isascii() and s.isdigit()):
        raise ZenginFormatError(f"{what} must be digits only, got {s!r}.")
    if len(s) > width:
        raise ZenginFormatError(f"{what} must be at most {width} digits, got {s!r}.")
    return s.zfill(width)


def _text(value: str, width: int, what: str, *, truncate: bool = True) -> str:
    try:
        s = to_zengin_kana(value)
    except ValueError as exc:
        raise ZenginFormatError(f"{what} {exc}") from None
    if len(s) > width:
        if not truncate:
            raise ZenginFormatError(f"{what} must be at most {width} characters, got {len(s)}: {s!r}.")
        s = s[:width]
    return s.ljust(width)


def _account_type(value: object, what: str, allowed: tuple[int, ...]) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        names = ", ".join(str(a) for a in allowed)
        raise ZenginFormatError(f"{what} must be one of {names}, got {value!r}.")
    return str(int(value))


def _encode(record: str) -> bytes:
    data = record.encode(ENCODING)  # strict: every character is ASCII or JIS X 0201 kana
    if len(record) != RECORD_LENGTH or len(data) != RECORD_LENGTH:
        raise AssertionError(f"record is {len(data)} bytes, expected {RECORD_LENGTH}: {record!r}")
    return data


def _header(payer: Payer, transfer_date: date) -> str:
    acc = payer.account
    return "".join(
        [
            "1",
            KIND_GENERAL_TRANSFER,
            CODE_DIVISION_JIS,
            _num(payer.requester_code, 10, "Requester code (振込依頼人コード)"),
            _text(payer.name_kana, 40, "Payer name"),
            f"{transfer_date.month:02d}{transfer_date.day:02d}",
            _num(acc.bank_code, 4, "Payer bank code"),
            _text(acc.bank_name_kana, 15, "Payer bank name"),
            _num(acc.branch_code, 3, "Payer branch code"),
            _text(acc.branch_name_kana, 15, "Payer branch name"),
            # The standard allows 1 普通, 2 当座, 9 その他 for the requester's account.
            _account_type(acc.account_type, "Payer account type", (1, 2, 9)),
            _num(acc.account_number, 7, "Payer account number"),
            " " * 17,
        ]
    )


def _data(n: int, t: Transfer) -> str:
    acc = t.account
    where = f"Transfer {n}"
    _check_amount(t.amount)
    if t.edi_info:
        codes = _text(t.edi_info, 20, f"{where}: EDI information", truncate=False)
        flag = EDI_FLAG
    elif t.customer_code:
        codes = _num(t.customer_code, 10, f"{where}: customer code") + " " * 10
        flag = " "
    else:
        codes = " " * 20
        flag = " "
    return "".join(
        [
            "2",
            _num(acc.bank_code, 4, f"{where}: bank code"),
            _text(acc.bank_name_kana, 15, f"{where}: bank name"),
            _num(acc.branch_code, 3, f"{where}: branch code"),
            _text(acc.branch_name_kana, 15, f"{where}: branch name"),
            " " * 4,  # 手形交換所番号: unused
            _account_type(acc.account_type, f"{where}: account type", (1, 2, 4)),
            _num(acc.account_number, 7, f"{where}: account number"),
            _text(acc.holder_kana, 30, f"{where}: payee name"),
            _num(t.amount, 10, f"{where}: amount"),
            NEW_CODE_OTHER,
            codes,
            TRANSFER_KIND_TELEGRAPHIC,
            flag,
            " " * 7,
        ]
    )


def zengin_transfer_file(
    payer: Payer,
    transfers: Sequence[Transfer],
    *,
    transfer_date: date,
    line_ending: bytes = CRLF,
) -> bytes:
    """Build a 総合振込 file: header, one data record per transfer, trailer, end.

    Returns Shift_JIS bytes; every record is 120 bytes followed by
    *line_ending* (CRLF by default, also after the end record).  Raises
    :class:`ZenginFormatError` (a ``ValueError``) for an empty list, an amount
    outside 1..9,999,999,999, a text that has no Zengin form, or totals that
    overflow the trailer; ``TypeError`` for a non-int amount.  Texts are run
    through :func:`~contributors.banking.to_zengin_kana` (idempotent on already
    converted values) and names are truncated to their field widths.
    """
    if isinstance(transfers, (str, bytes)) or not isinstance(transfers, Sequence):
        raise TypeError("transfers must be a sequence of Transfer")
    if not transfers:
        raise ZenginFormatError("A Zengin transfer file needs at least one transfer; the list is empty.")
    if not isinstance(transfer_date, date):
        raise TypeError("transfer_date must be a datetime.date")
    if len(transfers) > MAX_COUNT:
        raise ZenginFormatError(f"At most {MAX_COUNT:,} transfers fit in one file, got {len(transfers):,}.")
    if line_ending not in (CRLF, b""):
        raise ValueError("line_ending must be b'\\r\\n' or b''")

    out = io.BytesIO()
    zengin_transfer_write(out, payer, transfers, transfer_date=transfer_date, line_ending=line_ending)
    return out.getvalue()


def zengin_transfer_write(
    out: BinaryIO,
    payer: Payer,
    transfers: Iterable[Transfer],
    *,
    transfer_date: date,
    line_ending: bytes = CRLF,
) -> int:
    """:func:`zengin_transfer_file`, written to ``out`` one record at a time as ``transfers`` is
    iterated (memory stays flat whatever the count); returns the number of transfers.

    On an error (no transfer, too many, a bad record, totals too large) part of the file may
    already be written: the caller throws ``out`` away.
    """
    if not isinstance(transfer_date, date):
        raise TypeError("transfer_date must be a datetime.date")
    if line_ending not in (CRLF, b""):
        raise ValueError("line_ending must be b'\\r\\n' or b''")
    out.write(_encode(_header(payer, transfer_date)) + line_ending)
    count = total = 0
    for count, transfer in enumerate(transfers, start=1):
        if count > MAX_COUNT:
            raise ZenginFormatError(f"At most {MAX_COUNT:,} transfers fit in one file, got more.")
        if not isinstance(transfer, Transfer):
            raise TypeError(f"Transfer {count} is a {type(transfer).__name__}, not a Transfer")
        out.write(_encode(_data(count, transfer)) + line_ending)
        total += transfer.amount
    if not count:
        raise ZenginFormatError("A Zengin transfer file needs at least one transfer; the list is empty.")
    if total > MAX_TOTAL:
        raise ZenginFormatError(f"The total {total:,} yen exceeds the trailer's limit of {MAX_TOTAL:,} yen.")
    out.write(_encode("8" + _num(count, 6, "Count") + _num(total, 12, "Total") + " " * 101) + line_ending)
    out.write(_encode("9" + " " * 119) + line_ending)
    return count


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------


def _split_records(data: bytes) -> list[bytes]:
    if b"\r\n" in data or b"\n" in data:
        lines = data.replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] in (b"", b"\x1a"):
            lines.pop()
    else:
        if data.endswith(b"\x1a"):
            data = data[:-1]
        if len(data) % RECORD_LENGTH:
            raise ZenginFormatError(
                f"File length {len(data)} is not a multiple of {RECORD_LENGTH} and it has no line breaks."
            )
        lines = [data[i : i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]
    for i, line in enumerate(lines, start=1):
        if len(line) != RECORD_LENGTH:
            raise ZenginFormatError(f"Record {i} is {len(line)} bytes, expected {RECORD_LENGTH}.")
    return lines


def _int(s: str, what: str, line: int) -> int:
    if not (s.isascii() and s.isdigit()):
        raise ZenginFormatError(f"Record {line}: {what} must be digits, got {s!r}.")
    return int(s)


def parse_zengin(data: bytes) -> dict[str, Any]:
    """Read a 総合振込 file back into plain values (for tests and staff preview).

    Accepts records separated by CRLF/LF or an unbroken stream of 120-byte
    records.  Returns::

        {"header": {...}, "records": [{...}, ...], "trailer": {"count", "total"}}

    Texts are returned with their padding stripped on the right.  Raises
    :class:`ZenginFormatError` if the structure (1, 2..., 8, 9), a numeric
    field, or the trailer's count/total does not check out.
    """
    lines = _split_records(data)
    try:
        texts = [line.decode(ENCODING) for line in lines]
    except UnicodeDecodeError as exc:
        raise ZenginFormatError(f"The file is not valid Shift_JIS: {exc}") from None
    kinds = "".join(t[0] for t in texts)
    if len(texts) < 4 or kinds[0] != "1" or kinds[-2:] != "89" or set(kinds[1:-2]) != {"2"}:
        raise ZenginFormatError(f"Record types must be 1, 2 (one or more), 8, 9; got {', '.join(kinds) or 'nothing'}.")

    h = texts[0]
    header = {
        "data_type": h[0],
        "kind_code": h[1:3],
        "code_division": h[3],
        "requester_code": h[4:14],
        "requester_name": h[14:54].rstrip(),
        "transfer_date": h[54:58],  # MMDD
        "bank_code": h[58:62],
        "bank_name": h[62:77].rstrip(),
        "branch_code": h[77:80],
        "branch_name": h[80:95].rstrip(),
        "account_type": _int(h[95], "account type", 1),
        "account_number": h[96:103],
    }
    if header["kind_code"] != KIND_GENERAL_TRANSFER:
        raise ZenginFormatError(f"Record 1: 種別コード is {header['kind_code']!r}, expected '21' (総合振込).")

    records = []
    for line, r in enumerate(texts[1:-2], start=2):
        edi = r[112] == EDI_FLAG
        records.append(
            {
                "bank_code": r[1:5],
                "bank_name": r[5:20].rstrip(),
                "branch_code": r[20:23],
                "branch_name": r[23:38].rstrip(),
                "clearing_house": r[38:42].strip(),
                "account_type": _int(r[42], "account type", line),
                "account_number": r[43:50],
                "name": r[50:80].rstrip(),
                "amount": _int(r[80:90], "amount", line),
                "new_code": r[90],
                "customer_code1": "" if edi else r[91:101].strip(),
                "customer_code2": "" if edi else r[101:111].strip(),
                "edi_info": r[91:111].rstrip() if edi else "",
                "transfer_kind": r[111],
                "identification": r[112].strip(),
            }
        )

    t = texts[-2]
    trailer = {"count": _int(t[1:7], "total count", len(texts) - 1), "total": _int(t[7:19], "total", len(texts) - 1)}
    if trailer["count"] != len(records):
        raise ZenginFormatError(f"Trailer count {trailer['count']} does not match {len(records)} data records.")
    total = sum(r["amount"] for r in records)
    if trailer["total"] != total:
        raise ZenginFormatError(f"Trailer total {trailer['total']} does not match the sum of the amounts {total}.")
    if texts[-1][1:].strip():
        raise ZenginFormatError("The end record (9) must be blank after its data type.")
    return {"header": header, "records": records, "trailer": trailer}
