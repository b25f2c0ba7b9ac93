"""A company's details as production needs them (STOCKDATA_COMPANY_*): not the demo values,
so the production settings start. Shared by the tests that start a production process."""

COMPANY_ENV = {
    "STOCKDATA_COMPANY_NAME_JA": "株式会社テスト写真データ",
    "STOCKDATA_COMPANY_NAME_EN": "Test Photo Data K.K.",
    "STOCKDATA_COMPANY_ADDRESS_JA": "〒150-0002 東京都渋谷区渋谷9-9-9",
    "STOCKDATA_COMPANY_ADDRESS_EN": "9-9-9 Shibuya, Shibuya-ku, Tokyo 150-0002, Japan",
    "STOCKDATA_COMPANY_REGISTRATION_NUMBER": "T9876543210987",
    "STOCKDATA_COMPANY_EMAIL": "billing@photodata.example",
    "STOCKDATA_COMPANY_PHONE": "03-9999-1234",
    "STOCKDATA_COMPANY_REPRESENTATIVE": "代表取締役 試験 花子 / Hanako Shiken, CEO",
    "STOCKDATA_COMPANY_BANK_NAME": "みずほ銀行",
    "STOCKDATA_COMPANY_BANK_CODE": "0001",
    "STOCKDATA_COMPANY_BRANCH_NAME": "東京営業部",
    "STOCKDATA_COMPANY_BRANCH_CODE": "001",
    "STOCKDATA_COMPANY_ACCOUNT_TYPE": "2",
    "STOCKDATA_COMPANY_ACCOUNT_NUMBER": "7654321",
    "STOCKDATA_COMPANY_ACCOUNT_HOLDER_KANA": "カ）テストシャシンデータ",
    "STOCKDATA_COMPANY_ZENGIN_REQUESTER_CODE": "1234509876",
}

#: Production refuses the console e-mail backend: tests that start a production process name a mail server.
MAIL_ENV = {"EMAIL_URL": "smtp://127.0.0.1:1025"}

#: The same details as the ``STOCKDATA_COMPANY`` settings group (for ``settings.STOCKDATA_COMPANY = ...``).
COMPANY = {key.removeprefix("STOCKDATA_COMPANY_").lower(): value for key, value in COMPANY_ENV.items()}
