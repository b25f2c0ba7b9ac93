"""Bank account validation against zengin-code, and Zengin kana conversion. No database."""

import dataclasses

import pytest

from contributors.banking import (
    ZENGIN_ALLOWED_CHARS,
    AccountType,
    BankAccount,
    BankAccountError,
    find_bank,
    find_branch,
    is_zengin_text,
    to_zengin_kana,
    validate_bank_account,
    zengin_data_version,
)


def error(**overrides) -> BankAccountError:
    args = {
        "bank_code": "0001",
        "branch_code": "001",
        "account_type": 1,
        "account_number": "1234567",
        "holder_name": "ヤマダ ハナコ",
    }
    args.update(overrides)
    with pytest.raises(BankAccountError) as info:
        validate_bank_account(**args)
    return info.value


# ---------------------------------------------------------------------------
# real data from zengin-code
# ---------------------------------------------------------------------------


def test_zengin_code_has_mizuho_tokyo_head_office():
    bank = find_bank("0001")
    assert (bank.name, bank.kana, bank.kana_zengin) == ("みずほ", "ミズホ", "ﾐｽﾞﾎ")
    branch = find_branch("0001", "001")
    assert (branch.name, branch.kana, branch.kana_zengin) == ("東京営業部", "トウキヨウ", "ﾄｳｷﾖｳ")
    assert zengin_data_version().startswith("1.1.0.")


def test_real_bank_and_branch_validate_with_half_width_kana_names():
    account = validate_bank_account("0001", "001", 1, "1234567", "ヤマダ　ハナコ")
    assert account == BankAccount(
        bank_code="0001",
        bank_name_kana="ﾐｽﾞﾎ",
        branch_code="001",
        branch_name_kana="ﾄｳｷﾖｳ",
        account_type=AccountType.ORDINARY,
        account_number="1234567",
        holder_kana="ﾔﾏﾀﾞ ﾊﾅｺ",
    )
    assert account.account_type == 1


def test_account_is_frozen():
    account = validate_bank_account("0001", "001", 1, "1234567", "ヤマダ ハナコ")
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.account_number = "7654321"


def test_bank_names_with_long_vowel_and_latin_letters_convert():
    # 三菱ＵＦＪ is stored as ミツビシユ－エフジエイ (with a full-width hyphen for the long vowel).
    mufg = validate_bank_account("0005", "001", "ordinary", "7", "カ)ステツクデ-タ")
    assert (mufg.bank_name_kana, mufg.branch_name_kana) == ("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "ﾎﾝﾃﾝ")
    assert mufg.holder_kana == "ｶ)ｽﾃﾂｸﾃﾞ-ﾀ"
    docomo = validate_bank_account("0038", "101", 1, "1", "スズキ イチロウ")
    assert docomo.bank_name_kana == "ﾄﾞｺﾓSMTBﾈﾂﾄ"


def test_every_bank_and_branch_name_in_the_package_converts():
    import zengin_code

    for bank in zengin_code.Bank.all.values():
        assert is_zengin_text(to_zengin_kana(bank.kana)), bank.code
        for branch in bank.branches.values():
            assert is_zengin_text(to_zengin_kana(branch.kana)), (bank.code, branch.code)


# ---------------------------------------------------------------------------
# each wrong field has its own message
# ---------------------------------------------------------------------------


def test_unknown_bank():
    exc = error(bank_code="9999")
    assert (exc.field, exc.message) == ("bank_code", "Bank code 9999 does not exist.")
    assert str(exc) == "Bank code 9999 does not exist."


def test_unknown_branch_names_the_bank():
    assert find_branch("0001", "999") is None
    exc = error(branch_code="999")
    assert (exc.field, exc.message) == ("branch_code", "Branch 999 does not exist at みずほ (0001).")


@pytest.mark.parametrize("code", ["1", "12", "00001", "abcd", "", "０００１x"])
def test_bank_code_must_be_four_digits(code):
    exc = error(bank_code=code)
    assert exc.field == "bank_code"
    assert exc.message.startswith("Bank code must be exactly 4 digits")


def test_full_width_digits_are_accepted_for_codes():
    account = validate_bank_account("０００１", "００１", "１", "１２３", "ヤマダ ハナコ")
    assert (account.bank_code, account.branch_code, account.account_number) == ("0001", "001", "0000123")


@pytest.mark.parametrize("code", ["1", "0001", "x01"])
def test_branch_code_must_be_three_digits(code):
    exc = error(branch_code=code)
    assert exc.field == "branch_code"
    assert exc.message.startswith("Branch code must be exactly 3 digits")


def test_eight_digit_account_number():
    exc = error(account_number="12345678")
    assert (exc.field, exc.message) == ("account_number", "Account number must be at most 7 digits, got 8 digits.")


@pytest.mark.parametrize("number", ["12-3456", "", "ABC"])
def test_account_number_digits_only(number):
    exc = error(account_number=number)
    assert exc.field == "account_number"
    assert exc.message.startswith("Account number must contain digits only")


def test_account_number_all_zeros():
    assert error(account_number="0000000").message == "Account number cannot be all zeros."


@pytest.mark.parametrize(("given", "expected"), [("123", "0000123"), (45, "0000045"), ("1234567", "1234567")])
def test_short_account_numbers_are_left_padded(given, expected):
    assert validate_bank_account("0001", "001", 1, given, "ヤマダ ハナコ").account_number == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (1, AccountType.ORDINARY),
        ("1", AccountType.ORDINARY),
        ("普通", AccountType.ORDINARY),
        ("ordinary", AccountType.ORDINARY),
        (2, AccountType.CURRENT),
        ("当座", AccountType.CURRENT),
        ("current", AccountType.CURRENT),
        (4, AccountType.SAVINGS),
        ("貯蓄", AccountType.SAVINGS),
        (AccountType.SAVINGS, AccountType.SAVINGS),
    ],
)
def test_account_types_use_zengin_codes(given, expected):
    assert validate_bank_account("0001", "001", given, "1", "ヤマダ ハナコ").account_type is expected


@pytest.mark.parametrize("kind", [3, 9, "9", "other", True, None])
def test_unknown_account_type(kind):
    exc = error(account_type=kind)
    assert exc.field == "account_type"
    assert exc.message.startswith("Account type must be 1 (普通 ordinary), 2 (当座 current) or 4 (貯蓄 savings)")


@pytest.mark.parametrize("name", ["Yamada Hanako", "YAMADA HANAKO", "ｙａｍａｄａ　ｈａｎａｋｏ"])
def test_romaji_holder_is_refused(name):
    exc = error(holder_name=name)
    assert exc.field == "holder_name"
    assert exc.message == (
        "Account holder name must be in kana (katakana or hiragana) exactly as registered with the bank; "
        f"romaji such as {name!r} is not accepted."
    )


def test_kanji_holder_is_refused():
    exc = error(holder_name="山田 花子")
    assert exc.field == "holder_name"
    assert exc.message == "Account holder name must be in kana (katakana or hiragana), got '山田 花子'."


def test_kana_mixed_with_kanji_names_the_characters():
    exc = error(holder_name="ヤマダ 花子")
    assert exc.field == "holder_name"
    assert "'花' '子'" in exc.message
    assert exc.message.startswith("Account holder name contains characters that cannot be written")


@pytest.mark.parametrize("name", ["", "   ", None])
def test_holder_is_required(name):
    assert error(holder_name=name).field == "holder_name"


# ---------------------------------------------------------------------------
# kana conversion
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ヤマダ　ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ"),  # full-width katakana and ideographic space
        ("やまだ はなこ", "ﾔﾏﾀﾞ ﾊﾅｺ"),  # hiragana
        ("ﾔﾏﾀﾞ ﾊﾅｺ", "ﾔﾏﾀﾞ ﾊﾅｺ"),  # already half-width
        ("きょうこ", "ｷﾖｳｺ"),  # small kana enlarged
        ("キョウコ", "ｷﾖｳｺ"),
        ("ｷｮｳｺ", "ｷﾖｳｺ"),
        ("ぁぃぅぇぉゃゅょっゎ", "ｱｲｳｴｵﾔﾕﾖﾂﾜ"),
        ("ヵヶ", "ｶｹ"),
        ("ハットリ", "ﾊﾂﾄﾘ"),
        ("スーパー", "ｽ-ﾊﾟ-"),  # long vowel -> hyphen
        ("ヴィオラ", "ｳﾞｲｵﾗ"),
        ("パン ポン", "ﾊﾟﾝ ﾎﾟﾝ"),
        ("カ)ヤマダショウジ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),  # corporate abbreviation
        ("ヤマダショウジ（カ", "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),  # full-width bracket
        ("ｶ)ＡＢＣ　ｼｮｳｼﾞ", "ｶ)ABC ｼﾖｳｼﾞ"),
        ("abc しょうじ", "ABC ｼﾖｳｼﾞ"),  # latin upper-cased
        ("ジョン・スミス", "ｼﾞﾖﾝ.ｽﾐｽ"),  # middle dot -> period
        ("  ヤマダ   ハナコ  ", "ﾔﾏﾀﾞ ﾊﾅｺ"),  # spaces collapsed and stripped
        ("ﾀﾞｲｲﾁ 1-2/3.", "ﾀﾞｲｲﾁ 1-2/3."),
    ],
)
def test_to_zengin_kana(given, expected):
    converted = to_zengin_kana(given)
    assert converted == expected
    assert to_zengin_kana(converted) == converted  # idempotent
    assert set(converted) <= ZENGIN_ALLOWED_CHARS


def test_small_half_width_kana_and_long_vowel_are_not_zengin_characters():
    for char in "ｧｨｩｪｫｬｭｮｯｰ":
        assert char not in ZENGIN_ALLOWED_CHARS
    for char in "ﾞﾟ()-./ AZ09":
        assert char in ZENGIN_ALLOWED_CHARS


@pytest.mark.parametrize("text", ["山田", "ヤマダ,ハナコ", "A&B", "「ヤマダ」", "ヤマダ\\"])
def test_characters_without_zengin_form_are_refused(text):
    with pytest.raises(ValueError, match="cannot be written in a Zengin bank transfer"):
        to_zengin_kana(text)


def test_holder_conversion_through_validation():
    assert validate_bank_account("0001", "001", 1, "1", "きょうこ").holder_kana == "ｷﾖｳｺ"
    assert validate_bank_account("0001", "001", 1, "1", "ヤマダ　ハナコ").holder_kana == "ﾔﾏﾀﾞ ﾊﾅｺ"
