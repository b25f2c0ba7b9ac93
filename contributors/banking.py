"""Bank accounts in Japan: validation and Zengin (全銀) kana.

Pure Python, no Django.  Used to validate a contributor's payout account and to
prepare the texts that go into a Zengin transfer file (see ``contributors.zengin``).

Bank and branch codes are checked against the ``zengin-code`` package
(``zengin_code.Bank.all`` -> ``{code: Bank}``, ``Bank.branches`` ->
``{code: Branch}``; each has ``name``, ``kana``, ``hira``, ``roma``).  Its data
ships inside the wheel as JSON and is read from disk at import: no network is
needed.  The data is a snapshot (see :func:`zengin_data_version`); banks merge
and branches close, so the pinned version has to be bumped from time to time.

Zengin character set used here (a conservative subset of what banks accept):
half-width katakana (ｦ and ｱ..ﾝ, no small kana), ``ﾞ`` ``ﾟ``, digits 0-9,
upper-case A-Z, space and ``( ) - . /``.  Conversion rules applied by
:func:`to_zengin_kana`:

* NFKC first (full-width letters/digits/brackets/space -> ASCII, half-width
  kana -> full-width with voiced marks composed), then hiragana -> katakana,
  then katakana -> half-width (``jaconv``); ヴ -> ｳﾞ, ガ -> ｶﾞ.
* Small kana are enlarged: ァィゥェォャュョッヮヵヶ -> ｱｲｳｴｵﾔﾕﾖﾂﾜｶｹ
  (キョウコ -> ｷﾖｳｺ), as banks register account names that way.
* ヰ -> ｲ and ヱ -> ｴ (no half-width form exists).
* The long vowel mark ー and other dashes (－ ‐ − – — ―) -> ``-``: the Zengin
  set has no ｰ; banks and the zengin-code data itself write it as a hyphen.
* The middle dot ・ -> ``.`` (・ is not allowed).
* Lower-case latin letters -> upper case; runs of spaces -> one space; the
  ends are stripped.
* Anything else (kanji, ``,`` ``「」`` ``\\`` ``&`` ...) is refused with the list
  of offending characters.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import jaconv

__all__ = [
    "ZENGIN_ALLOWED_CHARS",
    "AccountType",
    "BankAccount",
    "BankAccountError",
    "BankInfo",
    "BranchInfo",
    "find_bank",
    "find_branch",
    "is_zengin_text",
    "to_zengin_kana",
    "validate_bank_account",
    "zengin_data_version",
]

# ---------------------------------------------------------------------------
# character set
# ---------------------------------------------------------------------------

#: Half-width katakana allowed in Zengin files: ｦ, ｱ..ﾝ (no small kana ｧ..ｯ, no ｰ).
_HALF_KANA = "ｦ" + "".join(chr(c) for c in range(ord("ｱ"), ord("ﾝ") + 1))
#: Every character allowed in a Zengin text (C) field.
ZENGIN_ALLOWED_CHARS: frozenset[str] = frozenset(
    _HALF_KANA + "ﾞﾟ" + "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + " ()-./"
)

_SMALL_TO_LARGE = str.maketrans(
    {
        "ァ": "ア",
        "ィ": "イ",
        "ゥ": "ウ",
        "ェ": "エ",
        "ォ": "オ",
        "ャ": "ヤ",
        "ュ": "ユ",
        "ョ": "ヨ",
        "ッ": "ツ",
        "ヮ": "ワ",
        "ヵ": "カ",
        "ヶ": "ケ",
        "ヰ": "イ",
        "ヱ": "エ",
        # Half-width small kana, should any survive NFKC (they do not, but be safe).
        "ｧ": "ｱ",
        "ｨ": "ｲ",
        "ｩ": "ｳ",
        "ｪ": "ｴ",
        "ｫ": "ｵ",
        "ｬ": "ﾔ",
        "ｭ": "ﾕ",
        "ｮ": "ﾖ",
        "ｯ": "ﾂ",
    }
)
_DASHES = str.maketrans({c: "-" for c in "ー－‐‑−–—―ｰ〜～"})
_DOTS = str.maketrans({"・": ".", "･": "."})
_SPACES = re.compile(r"\s+")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\uff66-\uff9d]")
_LATIN = re.compile(r"[A-Za-z]")


def to_zengin_kana(text: str) -> str:
    """Convert *text* to the half-width Zengin character set.

    Accepts full-width katakana, hiragana, half-width katakana, digits, latin
    letters (upper-cased) and the allowed symbols in either width.  Raises
    ``ValueError`` naming the characters that have no Zengin form (kanji,
    ``,``, ``&`` ...).  Idempotent: ``to_zengin_kana(to_zengin_kana(s)) ==
    to_zengin_kana(s)``.

    >>> to_zengin_kana("ヤマダ　ハナコ")
    'ﾔﾏﾀﾞ ﾊﾅｺ'
    >>> to_zengin_kana("きょうこ")
    'ｷﾖｳｺ'
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    # Stand-alone (spacing) voiced marks: NFKC would turn them into space + combining mark.
    s = text.replace("゛", "ﾞ").replace("゜", "ﾟ")
    s = unicodedata.normalize("NFKC", s)
    s = jaconv.hira2kata(s)
    s = s.translate(_SMALL_TO_LARGE).translate(_DASHES).translate(_DOTS)
    s = jaconv.z2h(s, kana=True, ascii=False, digit=False)
    # Combining voiced marks that could not be composed onto the previous letter.
    s = s.replace("\u3099", "ﾞ").replace("\u309a", "ﾟ")
    s = s.upper()
    s = _SPACES.sub(" ", s).strip()
    bad = sorted({c for c in s if c not in ZENGIN_ALLOWED_CHARS}, key=s.index)
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise ValueError(
            f"contains characters that cannot be written in a Zengin bank transfer: {shown}. "
            "Use katakana (or hiragana), digits, A-Z, spaces and ( ) - . / only."
        )
    return s


def is_zengin_text(text: str) -> bool:
    """True if *text* consists only of Zengin characters (already converted)."""
    return isinstance(text, str) and all(c in ZENGIN_ALLOWED_CHARS for c in text)


# ---------------------------------------------------------------------------
# bank and branch data (zengin-code)
# ---------------------------------------------------------------------------


@functools.cache
def _banks() -> dict[str, Any]:
    import zengin_code  # imported lazily: loading ~29,000 branches takes a few hundred ms

    return zengin_code.Bank.all


def zengin_data_version() -> str:
    """Version of the bank/branch data in use, e.g. ``"1.1.0.20260824"`` (snapshot date last)."""
    import zengin_code

    return zengin_code.__version__


@dataclass(frozen=True)
class BankInfo:
    code: str
    name: str  # e.g. "みずほ" (the package stores names without 銀行)
    kana: str  # full-width, as in zengin-code: "ミズホ"
    kana_zengin: str  # half-width Zengin form: "ﾐｽﾞﾎ"

    @property
    def label(self) -> str:
        """Human label for messages: ``みずほ (0001)``."""
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class BranchInfo:
    bank: BankInfo
    code: str
    name: str
    kana: str
    kana_zengin: str


def find_bank(bank_code: str) -> BankInfo | None:
    """The bank with this 4-digit code, or ``None``."""
    bank = _banks().get(bank_code)
    if bank is None:
        return None
    return BankInfo(code=bank.code, name=bank.name, kana=bank.kana, kana_zengin=to_zengin_kana(bank.kana))


def find_branch(bank_code: str, branch_code: str) -> BranchInfo | None:
    """The branch with this 3-digit code at that bank, or ``None``."""
    bank = _banks().get(bank_code)
    if bank is None:
        return None
    branch = bank.branches.get(branch_code)
    if branch is None:
        return None
    return BranchInfo(
        bank=find_bank(bank_code),  # type: ignore[arg-type]
        code=branch.code,
        name=branch.name,
        kana=branch.kana,
        kana_zengin=to_zengin_kana(branch.kana),
    )


# ---------------------------------------------------------------------------
# account
# ---------------------------------------------------------------------------


class AccountType(enum.IntEnum):
    """預金種目 codes used in Zengin files."""

    ORDINARY = 1  # 普通
    CURRENT = 2  # 当座
    SAVINGS = 4  # 貯蓄


_ACCOUNT_TYPE_NAMES = {
    "1": AccountType.ORDINARY,
    "ordinary": AccountType.ORDINARY,
    "普通": AccountType.ORDINARY,
    "普通預金": AccountType.ORDINARY,
    "2": AccountType.CURRENT,
    "current": AccountType.CURRENT,
    "checking": AccountType.CURRENT,
    "当座": AccountType.CURRENT,
    "当座預金": AccountType.CURRENT,
    "4": AccountType.SAVINGS,
    "savings": AccountType.SAVINGS,
    "貯蓄": AccountType.SAVINGS,
    "貯蓄預金": AccountType.SAVINGS,
}


class BankAccountError(ValueError):
    """A bank account field is invalid. ``field`` names the input, ``message`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"BankAccountError({self.field!r}, {self.message!r})"


@dataclass(frozen=True)
class BankAccount:
    """A validated account at a Japanese bank, texts already in Zengin half-width form."""

    bank_code: str  # "0001"
    bank_name_kana: str  # "ﾐｽﾞﾎ"
    branch_code: str  # "001"
    branch_name_kana: str  # "ﾄｳｷﾖｳ"
    account_type: AccountType  # 1, 2 or 4
    account_number: str  # "0012345" (7 digits)
    holder_kana: str  # "ﾔﾏﾀﾞ ﾊﾅｺ"


def _digits(value: object) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return repr(value)
    return unicodedata.normalize("NFKC", value).strip()


def _code(value: object, width: int, field: str, what: str) -> str:
    s = _digits(value)
    if not (len(s) == width and s.isascii() and s.isdigit()):
        raise BankAccountError(field, f"{what} must be exactly {width} digits, got {s!r}.")
    return s


def _account_type(value: object) -> AccountType:
    if isinstance(value, AccountType):
        return value
    key: str | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        key = str(value)
    elif isinstance(value, str):
        key = unicodedata.normalize("NFKC", value).strip().lower()
    if key is not None and key in _ACCOUNT_TYPE_NAMES:
        return _ACCOUNT_TYPE_NAMES[key]
    raise BankAccountError(
        "account_type",
        f"Account type must be 1 (普通 ordinary), 2 (当座 current) or 4 (貯蓄 savings), got {value!r}.",
    )


def _account_number(value: object) -> str:
    s = _digits(value)
    if not s or not (s.isascii() and s.isdigit()):
        raise BankAccountError("account_number", f"Account number must contain digits only, got {s!r}.")
    if len(s) > 7:
        raise BankAccountError("account_number", f"Account number must be at most 7 digits, got {len(s)} digits.")
    if int(s) == 0:
        raise BankAccountError("account_number", "Account number cannot be all zeros.")
    return s.zfill(7)


def _holder_kana(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BankAccountError("holder_name", "Account holder name is required (in katakana, as on the bank book).")
    normalized = unicodedata.normalize("NFKC", value)
    if not _KANA.search(normalized):
        if _LATIN.search(normalized):
            raise BankAccountError(
                "holder_name",
                f"Account holder name must be in kana (katakana or hiragana) exactly as registered with the bank; "
                f"romaji such as {value.strip()!r} is not accepted.",
            )
        raise BankAccountError(
            "holder_name", f"Account holder name must be in kana (katakana or hiragana), got {value.strip()!r}."
        )
    try:
        return to_zengin_kana(value)
    except ValueError as exc:
        raise BankAccountError("holder_name", f"Account holder name {exc}") from None


def validate_bank_account(
    bank_code: str,
    branch_code: str,
    account_type: AccountType | int | str,
    account_number: str | int,
    holder_name: str,
) -> BankAccount:
    """Validate a payout account and return it in Zengin form.

    * *bank_code*: exactly 4 digits, must exist in zengin-code.
    * *branch_code*: exactly 3 digits, must exist at that bank.
    * *account_type*: 1/2/4, "1"/"2"/"4", "ordinary"/"current"/"savings" or
      普通/当座/貯蓄.
    * *account_number*: 1 to 7 digits, left-padded with zeros to 7.
    * *holder_name*: kana (full-width katakana, hiragana or half-width
      katakana; corporate abbreviations such as ｶ) allowed), converted with
      :func:`to_zengin_kana`.  A name without any kana (romaji) is refused.

    Raises :class:`BankAccountError` for the first invalid field, in the order
    above.  Full-width digits are accepted for the numeric fields.
    """
    bank_code = _code(bank_code, 4, "bank_code", "Bank code")
    branch_code = _code(branch_code, 3, "branch_code", "Branch code")
    bank = find_bank(bank_code)
    if bank is None:
        raise BankAccountError("bank_code", f"Bank code {bank_code} does not exist.")
    branch = find_branch(bank_code, branch_code)
    if branch is None:
        raise BankAccountError("branch_code", f"Branch {branch_code} does not exist at {bank.label}.")
    kind = _account_type(account_type)
    number = _account_number(account_number)
    holder = _holder_kana(holder_name)
    return BankAccount(
        bank_code=bank_code,
        bank_name_kana=bank.kana_zengin,
        branch_code=branch_code,
        branch_name_kana=branch.kana_zengin,
        account_type=kind,
        account_number=number,
        holder_kana=holder,
    )
