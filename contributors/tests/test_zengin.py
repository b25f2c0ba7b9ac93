"""The 全銀 総合振込 file: exact layout, encoding, refusals, round trip. No database."""

from datetime import date

import pytest

from contributors.banking import AccountType, BankAccount, is_zengin_text, validate_bank_account
from contributors.zengin import (
    MAX_AMOUNT,
    Payer,
    Transfer,
    ZenginFormatError,
    parse_zengin,
    zengin_transfer_file,
)

PAYER_ACCOUNT = validate_bank_account("0009", "001", 2, "7654321", "カ)ストツクデ-タ")
PAYER = Payer(requester_code="1234567890", name_kana="カ)ストックデータ", account=PAYER_ACCOUNT)
DAY = date(2026, 9, 25)


def payees() -> list[Transfer]:
    return [
        Transfer(validate_bank_account("0001", "001", 1, "123", "ヤマダ　ハナコ"), 98_790),
        Transfer(validate_bank_account("0005", "001", "当座", "2345678", "きょうこ　さとう"), 1_234_567),
        Transfer(validate_bank_account("0036", "251", 4, "0000042", "ｽｽﾞｷ ｲﾁﾛｳ"), 5_000, customer_code="77"),
    ]


def records(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data.split(b"\r\n")[:-1]


@pytest.fixture
def three() -> bytes:
    return zengin_transfer_file(PAYER, payees(), transfer_date=DAY)


def test_every_record_is_120_bytes_plus_crlf(three):
    lines = records(three)
    assert len(lines) == 6
    assert all(len(line) == 120 for line in lines)
    assert len(three) == 6 * 122
    assert b"\n" not in three.replace(b"\r\n", b"")


def test_file_decodes_as_shift_jis_and_is_half_width_only(three):
    text = three.decode("shift_jis")
    assert len(text) == len(three)  # one byte per character: nothing full-width
    for line in text.split("\r\n")[:-1]:
        assert is_zengin_text(line), line


def test_record_types(three):
    assert [line[:1] for line in records(three)] == [b"1", b"2", b"2", b"2", b"8", b"9"]


def test_trailer_count_and_total(three):
    trailer = records(three)[4]
    assert trailer[1:7] == b"000003"
    assert trailer[7:19] == b"%012d" % (98_790 + 1_234_567 + 5_000)
    assert trailer[7:19] == b"000001338357"
    assert trailer[19:] == b" " * 101


def test_end_record(three):
    assert records(three)[5] == b"9" + b" " * 119


def test_header_fields_at_exact_offsets(three):
    h = records(three)[0].decode("shift_jis")
    assert h[0:1] == "1"
    assert h[1:3] == "21"
    assert h[3:4] == "0"
    assert h[4:14] == "1234567890"
    assert h[14:54] == "ｶ)ｽﾄﾂｸﾃﾞ-ﾀ".ljust(40)
    assert h[54:58] == "0925"
    assert h[58:62] == "0009"
    assert h[62:77] == "ﾐﾂｲｽﾐﾄﾓ".ljust(15)
    assert h[77:80] == "001"
    assert h[80:95] == "ｼﾞﾝﾎﾞｳﾁﾖｳ".ljust(15)
    assert h[95:96] == "2"
    assert h[96:103] == "7654321"
    assert h[103:120] == " " * 17


def test_data_record_fields_at_exact_offsets(three):
    d = records(three)[1].decode("shift_jis")
    assert d[0:1] == "2"
    assert d[1:5] == "0001"
    assert d[5:20] == "ﾐｽﾞﾎ".ljust(15)
    assert d[20:23] == "001"
    assert d[23:38] == "ﾄｳｷﾖｳ".ljust(15)
    assert d[38:42] == "    "  # 手形交換所番号: unused
    assert d[42:43] == "1"
    assert d[43:50] == "0000123"
    assert d[50:80] == "ﾔﾏﾀﾞ ﾊﾅｺ".ljust(30)
    assert d[80:90] == "0000098790"
    assert d[90:91] == "0"
    assert d[91:111] == " " * 20
    assert d[111:112] == "7"
    assert d[112:113] == " "
    assert d[113:120] == " " * 7


def test_second_and_third_data_records(three):
    second = records(three)[2].decode("shift_jis")
    assert second[1:5] == "0005"
    assert second[5:20] == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ".ljust(15)
    assert second[42:43] == "2"
    assert second[43:50] == "2345678"
    assert second[50:80] == "ｷﾖｳｺ ｻﾄｳ".ljust(30)
    assert second[80:90] == "0001234567"
    third = records(three)[3].decode("shift_jis")
    assert (third[1:5], third[20:23], third[42:43], third[43:50]) == ("0036", "251", "4", "0000042")
    assert third[91:101] == "0000000077"  # 顧客コード1
    assert third[101:111] == " " * 10


def test_names_are_half_width_kana(three):
    for line in records(three)[1:4]:
        name = line[50:80].decode("shift_jis").rstrip()
        assert name
        assert all(0xFF66 <= ord(c) <= 0xFF9F or c == " " for c in name), name


def test_parse_round_trip(three):
    parsed = parse_zengin(three)
    assert parsed["header"] == {
        "data_type": "1",
        "kind_code": "21",
        "code_division": "0",
        "requester_code": "1234567890",
        "requester_name": "ｶ)ｽﾄﾂｸﾃﾞ-ﾀ",
        "transfer_date": "0925",
        "bank_code": "0009",
        "bank_name": "ﾐﾂｲｽﾐﾄﾓ",
        "branch_code": "001",
        "branch_name": "ｼﾞﾝﾎﾞｳﾁﾖｳ",
        "account_type": 2,
        "account_number": "7654321",
    }
    assert parsed["trailer"] == {"count": 3, "total": 1_338_357}
    for record, transfer in zip(parsed["records"], payees(), strict=True):
        account = transfer.account
        assert (
            record["bank_code"],
            record["bank_name"],
            record["branch_code"],
            record["branch_name"],
            record["account_type"],
            record["account_number"],
            record["name"],
            record["amount"],
            record["customer_code1"],
        ) == (
            account.bank_code,
            account.bank_name_kana,
            account.branch_code,
            account.branch_name_kana,
            account.account_type,
            account.account_number,
            account.holder_kana,
            transfer.amount,
            transfer.customer_code.zfill(10) if transfer.customer_code else "",
        )
        assert (record["new_code"], record["transfer_kind"], record["edi_info"]) == ("0", "7", "")


def test_without_line_breaks_records_are_back_to_back():
    data = zengin_transfer_file(PAYER, payees(), transfer_date=DAY, line_ending=b"")
    assert len(data) == 6 * 120
    assert b"\r" not in data and b"\n" not in data
    assert parse_zengin(data) == parse_zengin(zengin_transfer_file(PAYER, payees(), transfer_date=DAY))


def test_edi_information_sets_the_identification_flag():
    account = payees()[0].account
    data = zengin_transfer_file(PAYER, [Transfer(account, 1_000, edi_info="ﾊﾗｲ 2026-09")], transfer_date=DAY)
    d = records(data)[1].decode("shift_jis")
    assert d[91:111] == "ﾊﾗｲ 2026-09".ljust(20)
    assert d[112:113] == "Y"
    assert parse_zengin(data)["records"][0]["edi_info"] == "ﾊﾗｲ 2026-09"


def test_edi_information_longer_than_20_is_refused():
    account = payees()[0].account
    with pytest.raises(ZenginFormatError, match="EDI information must be at most 20 characters"):
        zengin_transfer_file(PAYER, [Transfer(account, 1_000, edi_info="X" * 21)], transfer_date=DAY)


# ---------------------------------------------------------------------------
# names longer than the field are truncated
# ---------------------------------------------------------------------------


def test_long_payee_name_is_truncated_to_30():
    long_name = "カ)ニホンストツクフオトグラフイ-アンドデ-タセンタ-トウキヨウ"
    account = validate_bank_account("0001", "001", 1, "1", long_name)
    assert account.holder_kana == "ｶ)ﾆﾎﾝｽﾄﾂｸﾌｵﾄｸﾞﾗﾌｲ-ｱﾝﾄﾞﾃﾞ-ﾀｾﾝﾀ-ﾄｳｷﾖｳ"  # 35: kept whole on the account
    data = zengin_transfer_file(PAYER, [Transfer(account, 1_000)], transfer_date=DAY)
    d = records(data)[1]
    assert len(d) == 120
    assert d[50:80].decode("shift_jis") == "ｶ)ﾆﾎﾝｽﾄﾂｸﾌｵﾄｸﾞﾗﾌｲ-ｱﾝﾄﾞﾃﾞ-ﾀｾﾝﾀ-"  # first 30 characters
    assert d[80:90] == b"0000001000"  # the amount did not move
    assert parse_zengin(data)["records"][0]["name"] == account.holder_kana[:30].rstrip()


def test_long_payer_name_is_truncated_to_40():
    payer = Payer("1234567890", "カ)" + "ア" * 50, PAYER_ACCOUNT)
    h = records(zengin_transfer_file(payer, payees(), transfer_date=DAY))[0].decode("shift_jis")
    assert h[14:54] == "ｶ)" + "ｱ" * 38
    assert h[54:58] == "0925"


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, -100_000])
def test_zero_or_negative_amount_is_refused(amount):
    account = payees()[0].account
    with pytest.raises(ValueError, match="Transfer amount must be greater than 0 yen"):
        zengin_transfer_file(PAYER, [Transfer(account, amount)], transfer_date=DAY)


def test_amount_above_ten_digits_is_refused():
    account = payees()[0].account
    data = zengin_transfer_file(PAYER, [Transfer(account, MAX_AMOUNT)], transfer_date=DAY)
    assert records(data)[1][80:90] == b"9999999999"
    with pytest.raises(ValueError, match="at most 9,999,999,999 yen"):
        Transfer(account, MAX_AMOUNT + 1)


@pytest.mark.parametrize("amount", [1.5, True, "1000"])
def test_amount_must_be_int_yen(amount):
    with pytest.raises(TypeError):
        Transfer(payees()[0].account, amount)


def test_empty_transfer_list_is_refused():
    with pytest.raises(ValueError, match="at least one transfer"):
        zengin_transfer_file(PAYER, [], transfer_date=DAY)


def test_text_that_is_not_half_width_after_conversion_is_refused():
    account = BankAccount("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", AccountType.ORDINARY, "0000001", "山田 ハナコ")
    with pytest.raises(ValueError, match=r"Transfer 1: payee name contains characters .* '山' '田'"):
        zengin_transfer_file(PAYER, [Transfer(account, 1_000)], transfer_date=DAY)


def test_unconverted_full_width_kana_on_an_account_is_converted():
    account = BankAccount("0001", "ミズホ", "001", "トウキヨウ", AccountType.ORDINARY, "0000001", "ヤマダ　ハナコ")
    d = records(zengin_transfer_file(PAYER, [Transfer(account, 1_000)], transfer_date=DAY))[1].decode("shift_jis")
    assert d[5:20] == "ﾐｽﾞﾎ".ljust(15)
    assert d[50:80] == "ﾔﾏﾀﾞ ﾊﾅｺ".ljust(30)


def test_bad_codes_are_refused():
    good = payees()[0].account
    bad = BankAccount("001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", AccountType.ORDINARY, "12345678", "ﾔﾏﾀﾞ")
    with pytest.raises(ValueError, match="account number must be at most 7 digits"):
        zengin_transfer_file(PAYER, [Transfer(good, 1), Transfer(bad, 1)], transfer_date=DAY)
    with pytest.raises(ValueError, match="Requester code"):
        zengin_transfer_file(Payer("12345678901", "ｶ)ｽﾄﾂｸ", PAYER_ACCOUNT), [Transfer(good, 1)], transfer_date=DAY)


def test_customer_code_must_be_digits():
    with pytest.raises(ValueError, match="Customer code must be 1 to 10 digits"):
        Transfer(payees()[0].account, 1_000, customer_code="A-1")


def test_payer_savings_account_is_refused():
    savings = validate_bank_account("0009", "001", 4, "7654321", "カ)ストツクデ-タ")
    with pytest.raises(ValueError, match="Payer account type must be one of 1, 2, 9"):
        zengin_transfer_file(Payer("1234567890", "ｶ)ｽﾄﾂｸ", savings), payees(), transfer_date=DAY)


# ---------------------------------------------------------------------------
# parse_zengin checks what it reads
# ---------------------------------------------------------------------------


def test_parse_refuses_a_trailer_that_does_not_add_up(three):
    lines = records(three)
    lines[4] = b"8000003" + b"%012d" % 1 + b" " * 101
    with pytest.raises(ZenginFormatError, match="Trailer total 1 does not match"):
        parse_zengin(b"\r\n".join(lines) + b"\r\n")


def test_parse_refuses_wrong_record_order_and_lengths(three):
    lines = records(three)
    with pytest.raises(ZenginFormatError, match="Record types must be 1, 2"):
        parse_zengin(b"\r\n".join([lines[0], lines[4], lines[5]]))
    with pytest.raises(ZenginFormatError, match="Record 2 is 119 bytes"):
        parse_zengin(b"\r\n".join([lines[0], lines[1][:119], *lines[2:]]))
